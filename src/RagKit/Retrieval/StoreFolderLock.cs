namespace RagKit.Retrieval;

/// <summary>
/// The exclusive lock on a store folder: a lock file held open without sharing for as long as the store is open,
/// so a second open (in this process or another) fails before it reads or writes anything. Read-only opens share
/// the lock with each other, never with a writer.
/// </summary>
internal sealed class StoreFolderLock : IDisposable
{
    public const string FileName = "ragkit-store.lock";

    private readonly FileStream? _stream;

    private StoreFolderLock(FileStream? stream) => _stream = stream;

    /// <exception cref="RagStoreLockedException">Another store holds the folder.</exception>
    public static StoreFolderLock Acquire(string directory, bool readOnly)
    {
        string path = Path.Combine(directory, FileName);
        if (readOnly && !File.Exists(path))
        {
            return new StoreFolderLock(null); // a folder no writer has opened yet; a read-only open creates nothing
        }

        try
        {
            // On Unix, .NET takes flock(LOCK_EX) for FileShare.None and LOCK_SH otherwise; on Windows, share modes.
            return new StoreFolderLock(readOnly
                ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read)
                : new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw RagStoreLockedException.ForFolder(directory, ex);
        }
    }

    public void Dispose() => _stream?.Dispose();
}
