namespace RagKit.Retrieval;

/// <summary>What opening the store log found besides its records.</summary>
internal struct StoreOpenReport
{
    /// <summary>Bytes after the last commit: a batch that was never acknowledged (cut off unless read-only).</summary>
    public long UnacknowledgedBytes { get; set; }

    /// <summary>A committed compaction's file had not been renamed over the log yet; the open finished it.</summary>
    public bool CompactionFinished { get; set; }
}
