using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using RagKit.Caching;

namespace RagKit.Retrieval;

/// <summary>
/// The embedded store's durable file: an append-only log of checksummed records
/// (<c>magic | length | crc32 | payload</c>). A record is acknowledged only after it is flushed to disk,
/// so a crash can leave at most one incomplete record at the end; that tail is cut off on open.
/// A record that is complete but fails its checksum is damage, and opening fails with
/// <see cref="RagStoreCorruptedException"/> rather than dropping data silently.
/// Compaction writes a new file and renames it over the old one.
/// </summary>
internal sealed class StoreLog : IDisposable
{
    public const string FileName = "ragkit-store.log";
    private const uint RecordMagic = 0x4B47_4152; // "RAGK"
    private const int HeaderSize = 12;
    private const byte UpsertRecord = 1;
    private const byte DeleteRecord = 2;
    private const int MaxPayload = 256 * 1024 * 1024;

    private readonly string _path;
    private FileStream _stream;

    private StoreLog(string path, FileStream stream)
    {
        _path = path;
        _stream = stream;
    }

    public string Path => _path;

    public long RecordCount { get; private set; }

    /// <summary>Opens (or creates) the log and replays it; returns the bytes cut off from an interrupted write.</summary>
    public static StoreLog Open(string directory, Action<StoredDocument> onUpsert, Action<DocumentKey> onDelete, out long truncatedBytes)
    {
        Directory.CreateDirectory(directory);
        string path = System.IO.Path.Combine(directory, FileName);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        try
        {
            long records = Replay(path, stream, onUpsert, onDelete, out long goodLength);
            truncatedBytes = stream.Length - goodLength;
            if (truncatedBytes > 0)
            {
                stream.SetLength(goodLength);
                stream.Flush(flushToDisk: true);
            }

            stream.Seek(0, SeekOrigin.End);
            return new StoreLog(path, stream) { RecordCount = records };
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public void AppendUpsert(StoredDocument doc) => Append(EncodeUpsert(doc));

    public void AppendDelete(DocumentKey key)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            w.Write(DeleteRecord);
            WriteKey(w, key);
        }

        Append(ms.ToArray());
    }

    /// <summary>Rewrites the log with only the live documents, then atomically replaces the old file.</summary>
    public void Compact(IEnumerable<StoredDocument> live)
    {
        string temp = _path + ".compact.tmp";
        long records = 0;
        using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            foreach (StoredDocument doc in live)
            {
                WriteRecord(fs, EncodeUpsert(doc));
                records++;
            }

            fs.Flush(flushToDisk: true);
        }

        _stream.Dispose();
        File.Move(temp, _path, overwrite: true);
        _stream = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        _stream.Seek(0, SeekOrigin.End);
        RecordCount = records;
    }

    public void Dispose() => _stream.Dispose();

    private void Append(byte[] payload)
    {
        WriteRecord(_stream, payload);
        _stream.Flush(flushToDisk: true);
        RecordCount++;
    }

    private static void WriteRecord(Stream s, byte[] payload)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, RecordMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32.HashToUInt32(payload));
        s.Write(header);
        s.Write(payload);
    }

    private static long Replay(string path, FileStream stream, Action<StoredDocument> onUpsert, Action<DocumentKey> onDelete, out long goodLength)
    {
        stream.Seek(0, SeekOrigin.Begin);
        long length = stream.Length;
        long offset = 0;
        long records = 0;
        byte[] header = new byte[HeaderSize];
        while (true)
        {
            goodLength = offset;
            if (length - offset < HeaderSize)
            {
                return records; // nothing, or a header cut off by a crash
            }

            stream.ReadExactly(header);
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
            int size = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
            if (magic != RecordMagic)
            {
                throw new RagStoreCorruptedException(path, offset, "a record does not start with the RagKit record marker");
            }

            if (size < 1 || size > MaxPayload)
            {
                throw new RagStoreCorruptedException(path, offset, $"a record claims an impossible length ({size} bytes)");
            }

            if (length - offset - HeaderSize < size)
            {
                return records; // the last write was interrupted; it was never acknowledged
            }

            byte[] payload = new byte[size];
            stream.ReadExactly(payload);
            if (Crc32.HashToUInt32(payload) != crc)
            {
                throw new RagStoreCorruptedException(path, offset, "a record's checksum does not match its contents");
            }

            try
            {
                Decode(payload, onUpsert, onDelete);
            }
            catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or ArgumentException or IOException)
            {
                throw new RagStoreCorruptedException(path, offset, "a record could not be decoded: " + ex.Message);
            }

            offset += HeaderSize + size;
            records++;
        }
    }

    private static byte[] EncodeUpsert(StoredDocument doc)
    {
        using var ms = new MemoryStream(256 + doc.Chunks.Sum(c => (c.Text.Length * 3) + (c.Vector.Length * 4) + 64));
        using (var w = new BinaryWriter(ms))
        {
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
            foreach (StoredChunk c in doc.Chunks)
            {
                w.Write(c.ChunkId);
                w.Write(c.Ordinal);
                w.Write(c.Text);
                w.Write(c.Vector.Length);
                w.Write(MemoryMarshal.AsBytes(c.Vector.Span));
            }
        }

        return ms.ToArray();
    }

    private static void Decode(byte[] payload, Action<StoredDocument> onUpsert, Action<DocumentKey> onDelete)
    {
        using var r = new BinaryReader(new MemoryStream(payload));
        byte type = r.ReadByte();
        DocumentKey key = ReadKey(r);
        if (type == DeleteRecord)
        {
            onDelete(key);
            return;
        }

        if (type != UpsertRecord)
        {
            throw new InvalidDataException($"unknown record type {type}");
        }

        ulong hash = r.ReadUInt64();
        string title = r.ReadString();
        string[] groups = new string[ReadCount(r, 10_000)];
        for (int i = 0; i < groups.Length; i++)
        {
            groups[i] = r.ReadString();
        }

        var chunks = new StoredChunk[ReadCount(r, 10_000_000)];
        for (int i = 0; i < chunks.Length; i++)
        {
            string id = r.ReadString();
            int ordinal = r.ReadInt32();
            string text = r.ReadString();
            float[] vector = new float[ReadCount(r, 65_536)];
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(vector.AsSpan()));
            chunks[i] = new StoredChunk(id, ordinal, text, vector);
        }

        onUpsert(new StoredDocument(key, hash, groups, chunks, title.Length == 0 ? null : title));
    }

    private static int ReadCount(BinaryReader r, int max)
    {
        int n = r.ReadInt32();
        return n < 0 || n > max ? throw new InvalidDataException($"count {n} out of range") : n;
    }

    private static void WriteKey(BinaryWriter w, DocumentKey key)
    {
        w.Write(key.Tenant);
        w.Write(key.Collection);
        w.Write(key.DocumentId);
    }

    private static DocumentKey ReadKey(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString());
}
