using System.Buffers.Binary;
using System.IO.Hashing;

namespace RagKit.Retrieval;

/// <summary>
/// The store's commit marker: which log generation is current, its last acknowledged record and where that record
/// ends. Two checksummed slots are written in turn, so a write torn by a crash leaves the previous commit readable.
/// </summary>
internal sealed class StoreCommit : IDisposable
{
    public const string FileName = "ragkit-store.commit";
    private const uint Magic = 0x4D43_4B52; // "RKCM"
    private const int SlotSize = 48;

    private readonly FileStream? _stream;
    private ulong _generation;

    private StoreCommit(string path, FileStream? stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>Opens the commit file; read-only opens of a store without one get an empty marker.</summary>
    public static StoreCommit Open(string directory, bool readOnly)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        if (readOnly && !File.Exists(path))
        {
            return new StoreCommit(path, null);
        }

        var stream = new FileStream(path, readOnly ? FileMode.Open : FileMode.OpenOrCreate, readOnly ? FileAccess.Read : FileAccess.ReadWrite, readOnly ? FileShare.Read : FileShare.None);
        return new StoreCommit(path, stream);
    }

    /// <summary>The newest intact commit, or null when there is none.</summary>
    public State? Read()
    {
        if (_stream is null)
        {
            return null;
        }

        State? best = null;
        Span<byte> slot = stackalloc byte[SlotSize];
        for (int i = 0; i < 2; i++)
        {
            if (_stream.Length < (i + 1) * SlotSize)
            {
                break;
            }

            _stream.Seek(i * SlotSize, SeekOrigin.Begin);
            _stream.ReadExactly(slot);
            if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != Magic
                || Crc32.HashToUInt32(slot[..44]) != BinaryPrimitives.ReadUInt32LittleEndian(slot[44..]))
            {
                continue; // torn by a crash, or never written
            }

            ulong generation = BinaryPrimitives.ReadUInt64LittleEndian(slot[4..]);
            if (best is null || generation > _generation)
            {
                _generation = generation;
                best = new State(BinaryPrimitives.ReadUInt64LittleEndian(slot[12..]), BinaryPrimitives.ReadUInt64LittleEndian(slot[20..]), BinaryPrimitives.ReadInt64LittleEndian(slot[28..]));
            }
        }

        return best;
    }

    /// <summary>Writes the next commit into the older slot and flushes it to disk.</summary>
    public void Write(State state)
    {
        FileStream stream = _stream ?? throw new InvalidOperationException("The store was opened read-only.");
        ulong generation = _generation + 1;
        Span<byte> slot = stackalloc byte[SlotSize];
        slot.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(slot, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[4..], generation);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[12..], state.Epoch);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[20..], state.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(slot[28..], state.End);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[44..], Crc32.HashToUInt32(slot[..44]));
        stream.Seek((long)(generation % 2) * SlotSize, SeekOrigin.Begin);
        stream.Write(slot);
        stream.Flush(flushToDisk: true);
        _generation = generation;
    }

    public void Dispose() => _stream?.Dispose();

    /// <summary>A commit: the log generation, its last acknowledged record, and the byte where that record ends.</summary>
    public readonly record struct State(ulong Epoch, ulong Sequence, long End);
}
