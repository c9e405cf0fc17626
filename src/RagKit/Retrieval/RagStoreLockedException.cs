namespace RagKit.Retrieval;

/// <summary>A store folder is already open: one writer at a time (or any number of read-only opens) may hold it.</summary>
public sealed class RagStoreLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public RagStoreLockedException()
        : this("The RagKit store folder is already open.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public RagStoreLockedException(string message)
        : base(message)
    {
        DirectoryPath = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public RagStoreLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
        DirectoryPath = string.Empty;
    }

    private RagStoreLockedException(string directoryPath, string message, Exception innerException)
        : base(message, innerException)
    {
        DirectoryPath = directoryPath;
    }

    /// <summary>The folder that is already open.</summary>
    public string DirectoryPath { get; }

    internal static RagStoreLockedException ForFolder(string directoryPath, Exception innerException) => new(
        directoryPath,
        $"The RagKit store folder '{directoryPath}' is already open, in this process or another. Only one store may write to a folder at a time: dispose the other store first, or open this one with {nameof(EmbeddedVectorStoreOptions)}.{nameof(EmbeddedVectorStoreOptions.ReadOnly)} once no writer has it open.",
        innerException);
}
