using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace RagKit.Retrieval;

/// <summary>
/// The embedded store's durable file: an append-only log of checksummed, numbered records, plus a commit file
/// that says how far the log is acknowledged.
/// </summary>
/// <remarks>
/// <para>Log: a 32-byte file header (marker, format version, epoch), then records
/// <c>marker | sequence | length | payload crc | header crc | payload</c>. Sequence numbers run 1, 2, 3, ... per
/// epoch; the header has its own checksum, so a damaged length field is damage, not a torn write.</para>
/// <para>Commit file (<see cref="StoreCommit"/>): after a batch of records is flushed to disk, the commit file
/// records the epoch, the last sequence number and the end offset, and is flushed too; only then is the batch
/// acknowledged. On open, everything up to the committed end must be intact (any damage there, or a file shorter
/// than that, fails the open with <see cref="RagStoreCorruptedException"/> naming file and offset); bytes after it
/// belong to a batch that was never acknowledged and are cut off, with a warning.</para>
/// <para>A document larger than <see cref="RecordSplitBytes"/> is split over several records (a head record and
/// continuation records); the reader accepts every record up to <see cref="MaxRecordPayload"/>, and the writer
/// refuses, before writing anything, a single chunk or document head that would not fit in one.</para>
/// <para>Compaction writes a new epoch's file next to the log, commits it, then renames it over the log; an open
/// that finds the commit ahead of the log finishes the rename.</para>
/// </remarks>
internal sealed class StoreLog : IDisposable
{
    public const string FileName = "ragkit-store.log";

    /// <summary>The largest record payload the reader accepts; the writer never writes a larger one.</summary>
    public const int MaxRecordPayload = 64 * 1024 * 1024;

    /// <summary>Default size at which the writer starts a new record for the rest of a document's chunks.</summary>
    public const int DefaultRecordSplitBytes = 4 * 1024 * 1024;

    private const uint FileMagic = 0x474C_4B52; // "RKLG"
    private const int FormatVersion = 2;
    private const int FileHeaderSize = 32;
    private const uint RecordMagic = 0x4B47_4152; // "RAGK"
    private const int RecordHeaderSize = 24;
    private const byte UpsertRecord = 1;
    private const byte DeleteRecord = 2;
    private const byte ChunksRecord = 3;

    // Bytes a chunk needs besides its text and vector: id prefix, ordinal, text prefix, vector length.
    private const int ChunkOverhead = 5 + 4 + 5 + 4;

    private readonly string _path;
    private readonly StoreCommit _commit;
    private readonly MemoryStream _scratch = new();
    private readonly bool _readOnly;
    private FileStream? _stream;
    private ulong _epoch;
    private ulong _sequence;
    private long _committedEnd;
    private bool _broken;

    private StoreLog(string path, StoreCommit commit, bool readOnly)
    {
        _path = path;
        _commit = commit;
        _readOnly = readOnly;
    }

    public string Path => _path;

    /// <summary>Records in the log (all epochs since the last compaction).</summary>
    public long RecordCount => (long)_sequence;

    /// <summary>Size at which a document's chunks continue in a new record.</summary>
    public int RecordSplitBytes { get; init; } = DefaultRecordSplitBytes;

    /// <summary>Opens (or creates) the log in <paramref name="directory"/> and replays every acknowledged record.</summary>
    /// <param name="directory">The store folder; the caller holds its lock.</param>
    /// <param name="readOnly">Open without changing any file.</param>
    /// <param name="recordSplitBytes">Size at which documents are split over records.</param>
    /// <param name="onUpsert">Called for every document in the order written.</param>
    /// <param name="onDelete">Called for every delete in the order written.</param>
    /// <param name="report">What the open found besides the records.</param>
    /// <exception cref="RagStoreCorruptedException">An acknowledged record is damaged or missing.</exception>
    public static StoreLog Open(string directory, bool readOnly, int recordSplitBytes, Action<StoredDocument> onUpsert, Action<DocumentKey> onDelete, out StoreOpenReport report)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        string compactPath = path + ".compact";
        StoreCommit commit = StoreCommit.Open(directory, readOnly);
        var log = new StoreLog(path, commit, readOnly) { RecordSplitBytes = recordSplitBytes };
        report = default;
        try
        {
            StoreCommit.State? committed = commit.Read();
            if (committed is null)
            {
                // No commit yet: a new store, or a crash while it was being created (nothing was acknowledged).
                // A log that holds records without any commit is someone else's file or damage: never overwrite it.
                if (File.Exists(path) && new FileInfo(path).Length > FileHeaderSize)
                {
                    throw new RagStoreCorruptedException(path, 0, $"the log holds data but its commit file '{commit.Path}' is missing or unreadable, so it cannot tell acknowledged records from torn ones");
                }

                if (readOnly)
                {
                    return log; // empty, and nothing may be created
                }

                log.CreateEpoch(path, 1);
                return log;
            }

            string source = path;
            bool compactionCommitted = TryReadEpoch(compactPath) == committed.Value.Epoch;
            if (!compactionCommitted && File.Exists(path) && new FileInfo(path).Length < committed.Value.End)
            {
                long length = new FileInfo(path).Length;
                throw new RagStoreCorruptedException(path, length, $"the file ends at byte {length} but {committed.Value.End} bytes (through record {committed.Value.Sequence}) were acknowledged: it was cut off or emptied");
            }

            ulong logEpoch = File.Exists(path) && !compactionCommitted ? ReadEpoch(path) : 0;
            if (compactionCommitted)
            {
                // A compaction was committed but its file not yet renamed over the log: finish it.
                if (readOnly)
                {
                    source = compactPath;
                }
                else
                {
                    File.Move(compactPath, path, overwrite: true);
                    report.CompactionFinished = true;
                }
            }
            else if (!File.Exists(path))
            {
                throw new RagStoreCorruptedException(path, 0, $"the log is missing, but its commit file says {committed.Value.End} bytes (through record {committed.Value.Sequence}) were acknowledged");
            }
            else if (logEpoch != committed.Value.Epoch)
            {
                throw new RagStoreCorruptedException(path, 0, $"the log is generation {logEpoch} but its commit file names generation {committed.Value.Epoch}");
            }
            else if (File.Exists(compactPath) && !readOnly)
            {
                File.Delete(compactPath); // a compaction that crashed before its commit; the log is still current
            }

            log._stream = new FileStream(source, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, readOnly ? FileShare.Read : FileShare.None, 1 << 16);
            log._epoch = committed.Value.Epoch;
            log.Replay(source, committed.Value, onUpsert, onDelete);
            report.UnacknowledgedBytes = log._stream.Length - committed.Value.End;
            if (report.UnacknowledgedBytes > 0 && !readOnly)
            {
                log._stream.SetLength(committed.Value.End);
                log._stream.Flush(flushToDisk: true);
            }

            log._stream.Seek(committed.Value.End, SeekOrigin.Begin);
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks that every document can be written and read back: each chunk, and each document's head
    /// (key, title, groups), fits in one record. Throws before anything is written.
    /// </summary>
    public static void Validate(IReadOnlyList<StoredDocument> documents, string paramName)
    {
        foreach (StoredDocument d in documents)
        {
            long head = 1 + KeySize(d.Key) + 8 + StringSize(d.Title ?? string.Empty) + 4 + 4 + 4;
            foreach (string g in d.AccessGroups)
            {
                head += StringSize(g);
            }

            if (head > MaxRecordPayload)
            {
                throw new ArgumentException($"Document '{d.Key}' has a title or access groups of {head:N0} bytes; the store's limit for them is {MaxRecordPayload:N0} bytes.", paramName);
            }

            foreach (StoredChunk c in d.Chunks)
            {
                long size = ChunkSize(c);
                if (size > MaxRecordPayload - 5)
                {
                    throw new ArgumentException($"Chunk '{c.ChunkId}' of document '{d.Key}' takes {size:N0} bytes; the store's limit for one chunk is {MaxRecordPayload - 5:N0} bytes.", paramName);
                }
            }
        }
    }

    /// <summary>Writes the documents, then commits them all at once; nothing is acknowledged before the commit.</summary>
    public void AppendUpserts(IReadOnlyList<StoredDocument> documents) => AppendBatch(documents, static (log, docs) =>
    {
        foreach (StoredDocument d in docs)
        {
            log.WriteDocument(log._stream!, d);
        }
    });

    /// <summary>Writes delete records for the keys and commits them at once.</summary>
    public void AppendDeletes(IReadOnlyList<DocumentKey> keys) => AppendBatch(keys, static (log, ks) =>
    {
        foreach (DocumentKey k in ks)
        {
            BinaryWriter w = log.BeginRecord();
            w.Write(DeleteRecord);
            WriteKey(w, k);
            log.EndRecord(log._stream!);
        }
    });

    /// <summary>
    /// Rewrites the log with only the live documents under a new epoch, commits it, then renames it over the old
    /// log. A failure before the commit leaves the old log current; after it, the next open finishes the rename.
    /// </summary>
    public void Compact(IEnumerable<StoredDocument> live)
    {
        ThrowIfNotWritable();
        string temp = _path + ".compact";
        ulong epoch = _epoch + 1;
        ulong oldSequence = _sequence;
        ulong oldEpoch = _epoch;
        long end;
        try
        {
            using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteFileHeader(fs, epoch);
                _epoch = epoch;
                _sequence = 0;
                foreach (StoredDocument doc in live)
                {
                    WriteDocument(fs, doc);
                }

                fs.Flush(flushToDisk: true);
                end = fs.Length;
            }
        }
        catch
        {
            _epoch = oldEpoch;
            _sequence = oldSequence;
            TryDelete(temp);
            throw;
        }

        try
        {
            _commit.Write(new StoreCommit.State(epoch, _sequence, end));
        }
        catch
        {
            _epoch = oldEpoch;
            _sequence = oldSequence;
            TryDelete(temp);
            throw;
        }

        // Committed: from here the new file is the store, even if the rename fails (the next open finishes it).
        _stream!.Dispose();
        _stream = null;
        _committedEnd = end;
        try
        {
            File.Move(temp, _path, overwrite: true);
            _stream = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            _stream.Seek(end, SeekOrigin.Begin);
        }
        catch
        {
            _broken = true; // no more writes in this process; reopening recovers
            throw;
        }
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _commit.Dispose();
        _scratch.Dispose();
    }

    private static long StringSize(string s) => 5 + Encoding.UTF8.GetByteCount(s);

    private static long KeySize(DocumentKey k) => StringSize(k.Tenant) + StringSize(k.Collection) + StringSize(k.DocumentId);

    private static long ChunkSize(StoredChunk c) => ChunkOverhead + Encoding.UTF8.GetByteCount(c.ChunkId) + Encoding.UTF8.GetByteCount(c.Text) + (4L * c.Vector.Length);

    private static ulong ReadEpoch(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> header = stackalloc byte[FileHeaderSize];
        if (fs.Length < FileHeaderSize)
        {
            throw new RagStoreCorruptedException(path, 0, $"the file is {fs.Length} bytes long, shorter than its header");
        }

        fs.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != FileMagic)
        {
            throw new RagStoreCorruptedException(path, 0, "the file does not start with the RagKit store marker");
        }

        if (Crc32.HashToUInt32(header[..28]) != BinaryPrimitives.ReadUInt32LittleEndian(header[28..]))
        {
            throw new RagStoreCorruptedException(path, 0, "the file header's checksum does not match");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        return version != FormatVersion
            ? throw new RagStoreCorruptedException(path, 4, $"the file has format version {version}; this RagKit reads version {FormatVersion}")
            : BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
    }

    /// <summary>The epoch of a file that may be missing or half written (a compaction's output); 0 when unreadable.</summary>
    private static ulong TryReadEpoch(string path)
    {
        try
        {
            return File.Exists(path) ? ReadEpoch(path) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static void WriteFileHeader(Stream s, ulong epoch)
    {
        Span<byte> header = stackalloc byte[FileHeaderSize];
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, FileMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], FormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], epoch);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], Crc32.HashToUInt32(header[..28]));
        s.Write(header);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void CreateEpoch(string path, ulong epoch)
    {
        _stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        WriteFileHeader(_stream, epoch);
        _stream.Flush(flushToDisk: true);
        _epoch = epoch;
        _sequence = 0;
        _committedEnd = FileHeaderSize;
        _commit.Write(new StoreCommit.State(epoch, 0, FileHeaderSize));
    }

    private void ThrowIfNotWritable()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException($"The RagKit store '{System.IO.Path.GetDirectoryName(_path)}' was opened read-only.");
        }

        if (_broken || _stream is null)
        {
            throw new IOException($"The RagKit store file '{_path}' could not be brought back to its last acknowledged state after a failed write; open the store again.");
        }
    }

    private void AppendBatch<T>(T items, Action<StoreLog, T> write)
    {
        ThrowIfNotWritable();
        ulong sequence = _sequence;
        try
        {
            write(this, items);
            _stream!.Flush(flushToDisk: true);
            _commit.Write(new StoreCommit.State(_epoch, _sequence, _stream.Position));
            _committedEnd = _stream.Position;
        }
        catch
        {
            // Roll the file back to the last commit, so the next batch does not follow half a record.
            _sequence = sequence;
            try
            {
                _stream!.SetLength(_committedEnd);
                _stream.Seek(_committedEnd, SeekOrigin.Begin);
            }
            catch (IOException)
            {
                _broken = true;
            }

            throw;
        }
    }

    private void WriteDocument(Stream s, StoredDocument doc)
    {
        BinaryWriter w = BeginRecord();
        w.Write(UpsertRecord);
        WriteKey(w, doc.Key);
        w.Write(doc.ContentHash);
        w.Write(doc.Title ?? string.Empty);
        w.Write(doc.AccessGroups.Count);
        foreach (string g in doc.AccessGroups)
        {
            w.Write(g);
        }

        w.Write(doc.Chunks.Count);
        int i = 0;
        while (true)
        {
            // Chunks in this record: as many as fit under the split size, at least one.
            int first = i;
            long size = _scratch.Position + 4;
            while (i < doc.Chunks.Count && (i == first || size + ChunkSize(doc.Chunks[i]) <= RecordSplitBytes) && size + ChunkSize(doc.Chunks[i]) <= MaxRecordPayload)
            {
                size += ChunkSize(doc.Chunks[i]);
                i++;
            }

            w.Write(i - first);
            for (int c = first; c < i; c++)
            {
                WriteChunk(w, doc.Chunks[c]);
            }

            EndRecord(s);
            if (i >= doc.Chunks.Count)
            {
                return;
            }

            w = BeginRecord();
            w.Write(ChunksRecord);
        }
    }

    private static void WriteChunk(BinaryWriter w, StoredChunk c)
    {
        w.Write(c.ChunkId);
        w.Write(c.Ordinal);
        w.Write(c.Text);
        w.Write(c.Vector.Length);
        w.Write(MemoryMarshal.AsBytes(c.Vector.Span));
    }

    private BinaryWriter BeginRecord()
    {
        _scratch.SetLength(0);
        return new BinaryWriter(_scratch, Encoding.UTF8, leaveOpen: true);
    }

    private void EndRecord(Stream s)
    {
        ReadOnlySpan<byte> payload = _scratch.GetBuffer().AsSpan(0, (int)_scratch.Length);
        if (payload.Length > MaxRecordPayload)
        {
            // Validate keeps every unit under the limit; reaching this is a bug, and nothing of the record is written.
            throw new InvalidOperationException($"A store record of {payload.Length:N0} bytes exceeds the limit of {MaxRecordPayload:N0}.");
        }

        _sequence++;
        Span<byte> header = stackalloc byte[RecordHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, RecordMagic);
        BinaryPrimitives.WriteUInt64LittleEndian(header[4..], _sequence);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], Crc32.HashToUInt32(payload));
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], Crc32.HashToUInt32(header[..20]));
        s.Write(header);
        s.Write(payload);
    }

    private void Replay(string path, StoreCommit.State committed, Action<StoredDocument> onUpsert, Action<DocumentKey> onDelete)
    {
        FileStream stream = _stream!;
        long length = stream.Length;
        if (length < committed.End)
        {
            throw new RagStoreCorruptedException(path, length, $"the file ends at byte {length} but {committed.End} bytes (through record {committed.Sequence}) were acknowledged: it was cut off or emptied");
        }

        stream.Seek(FileHeaderSize, SeekOrigin.Begin);
        long offset = FileHeaderSize;
        ulong sequence = 0;
        byte[] header = new byte[RecordHeaderSize];
        byte[] payload = [];
        var pending = new PendingDocument();
        while (offset < committed.End)
        {
            if (committed.End - offset < RecordHeaderSize)
            {
                throw new RagStoreCorruptedException(path, offset, "an acknowledged record's header is cut off");
            }

            stream.ReadExactly(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != RecordMagic)
            {
                throw new RagStoreCorruptedException(path, offset, "a record does not start with the RagKit record marker");
            }

            if (Crc32.HashToUInt32(header.AsSpan(0, 20)) != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(20)))
            {
                throw new RagStoreCorruptedException(path, offset, "a record header's checksum does not match (its sequence number or length is damaged)");
            }

            ulong seq = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(4));
            int size = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16));
            if (seq != sequence + 1)
            {
                throw new RagStoreCorruptedException(path, offset, $"record {sequence + 1} was expected but record {seq} was found: records are missing or repeated");
            }

            if (size < 1 || size > MaxRecordPayload || committed.End - offset - RecordHeaderSize < size)
            {
                throw new RagStoreCorruptedException(path, offset, $"record {seq} claims a length of {size} bytes, which does not fit the acknowledged log");
            }

            if (payload.Length < size)
            {
                payload = new byte[Math.Max(size, Math.Min(payload.Length * 2, MaxRecordPayload))];
            }

            stream.ReadExactly(payload.AsSpan(0, size));
            if (Crc32.HashToUInt32(payload.AsSpan(0, size)) != crc)
            {
                throw new RagStoreCorruptedException(path, offset, $"record {seq}'s checksum does not match its contents");
            }

            try
            {
                Decode(payload, size, pending, onUpsert, onDelete);
            }
            catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or ArgumentException or IOException)
            {
                throw new RagStoreCorruptedException(path, offset, $"record {seq} could not be decoded: " + ex.Message);
            }

            offset += RecordHeaderSize + size;
            sequence = seq;
        }

        if (pending.Chunks is not null)
        {
            throw new RagStoreCorruptedException(path, offset, $"document '{pending.Key}' was acknowledged with {pending.Total} chunks, but only {pending.Chunks.Count} are in the log");
        }

        if (sequence != committed.Sequence)
        {
            throw new RagStoreCorruptedException(path, offset, $"the log holds records through {sequence} but its commit file says {committed.Sequence}");
        }

        _sequence = sequence;
        _committedEnd = committed.End;
    }

    private static void Decode(byte[] buffer, int size, PendingDocument pending, Action<StoredDocument> onUpsert, Action<DocumentKey> onDelete)
    {
        using var r = new BinaryReader(new MemoryStream(buffer, 0, size, writable: false), Encoding.UTF8);
        byte type = r.ReadByte();
        if (pending.Chunks is not null && type != ChunksRecord)
        {
            throw new InvalidDataException($"document '{pending.Key}' ends after {pending.Chunks.Count} of its {pending.Total} chunks");
        }

        switch (type)
        {
            case DeleteRecord:
                onDelete(ReadKey(r));
                break;
            case UpsertRecord:
                pending.Key = ReadKey(r);
                pending.Hash = r.ReadUInt64();
                pending.Title = r.ReadString();
                string[] groups = new string[ReadCount(r, 1)];
                for (int i = 0; i < groups.Length; i++)
                {
                    groups[i] = r.ReadString();
                }

                pending.Groups = groups;
                pending.Total = ReadCount(r, 0);
                pending.Chunks = new List<StoredChunk>(Math.Min(pending.Total, 1024));
                ReadChunks(r, pending, onUpsert);
                break;
            case ChunksRecord:
                if (pending.Chunks is null)
                {
                    throw new InvalidDataException("chunks follow no document");
                }

                ReadChunks(r, pending, onUpsert);
                break;
            default:
                throw new InvalidDataException($"unknown record type {type}");
        }

        if (r.BaseStream.Position != size)
        {
            throw new InvalidDataException($"{size - r.BaseStream.Position} bytes are left over");
        }
    }

    private static void ReadChunks(BinaryReader r, PendingDocument pending, Action<StoredDocument> onUpsert)
    {
        List<StoredChunk> chunks = pending.Chunks!;
        int count = ReadCount(r, ChunkOverhead);
        if (count > pending.Total - chunks.Count)
        {
            throw new InvalidDataException($"{count} more chunks than the document's {pending.Total}");
        }

        for (int i = 0; i < count; i++)
        {
            string id = r.ReadString();
            int ordinal = r.ReadInt32();
            string text = r.ReadString();
            float[] vector = new float[ReadCount(r, sizeof(float))];
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(vector.AsSpan()));
            chunks.Add(new StoredChunk(id, ordinal, text, vector));
        }

        if (chunks.Count == pending.Total)
        {
            pending.Chunks = null;
            onUpsert(new StoredDocument(pending.Key, pending.Hash, pending.Groups, chunks, pending.Title.Length == 0 ? null : pending.Title));
        }
    }

    /// <summary>Reads a count, refusing one that the rest of the record cannot hold (at least <paramref name="minItemBytes"/> each).</summary>
    private static int ReadCount(BinaryReader r, int minItemBytes)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        return n < 0 || (minItemBytes > 0 && (long)n * minItemBytes > left)
            ? throw new InvalidDataException($"count {n} does not fit the record")
            : n;
    }

    private static void WriteKey(BinaryWriter w, DocumentKey key)
    {
        w.Write(key.Tenant);
        w.Write(key.Collection);
        w.Write(key.DocumentId);
    }

    private static DocumentKey ReadKey(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString());

    /// <summary>A document whose chunks continue in the next records; <see cref="Chunks"/> is null between documents.</summary>
    private sealed class PendingDocument
    {
        public DocumentKey Key { get; set; }

        public ulong Hash { get; set; }

        public string Title { get; set; } = string.Empty;

        public string[] Groups { get; set; } = [];

        public int Total { get; set; }

        public List<StoredChunk>? Chunks { get; set; }
    }
}
