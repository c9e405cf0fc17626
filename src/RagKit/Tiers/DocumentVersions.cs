using System.Collections.Concurrent;
using RagKit.Caching;
using RagKit.Retrieval;

namespace RagKit.Tiers;

/// <summary>
/// What this process knows of each source document's version, and whether it is caught up with the other instances:
/// the check every cached answer passes before it is served or stored. An answer is fresh when every document it was
/// built from still has the version it was built from, and it was made after the last reset of the invalidation feed.
/// </summary>
internal sealed class DocumentVersions
{
    private readonly ConcurrentDictionary<DocumentKey, ulong> _versions = new();
    // Until when a change mark of another instance holds, per document; a mark that expired without a commit is replaced
    // by the version retrieval reports.
    private readonly ConcurrentDictionary<DocumentKey, DateTimeOffset> _changingUntil = new();
    private readonly IDocumentInvalidationFeed[] _feeds;
    private readonly TimeProvider _time;
    private long _resetAtTicks;

    public DocumentVersions(IEnumerable<IDocumentInvalidationFeed> feeds, TimeProvider time)
    {
        _feeds = [.. feeds];
        _time = time;
    }

    public IReadOnlyList<IDocumentInvalidationFeed> Feeds => _feeds;

    /// <summary>True while every feed is caught up (or there is none): only then are cached answers served or stored.</summary>
    public bool CachesServable()
    {
        foreach (IDocumentInvalidationFeed feed in _feeds)
        {
            if (!feed.IsCaughtUp)
            {
                return false;
            }
        }

        return true;
    }

    public bool TryGet(DocumentKey document, out ulong version) => _versions.TryGetValue(document, out version);

    public bool TryAdd(DocumentKey document, ulong version) => _versions.TryAdd(document, version);

    /// <summary>The version unknown: learned again from retrieval.</summary>
    public void Forget(DocumentKey document) => _versions.TryRemove(document, out _);

    public void Set(DocumentKey document, ulong version) => Set(new DocumentVersion(document, version));

    public void Set(DocumentVersion v)
    {
        if (v.Version == DocumentVersion.Changing)
        {
            _changingUntil[v.Document] = v.ChangingUntil;
        }
        else
        {
            _changingUntil.TryRemove(v.Document, out _);
        }

        _versions[v.Document] = v.Version;
    }

    /// <summary>The feed lost track: nothing cached before now is trusted again, and the versions start over.</summary>
    public void Reset(IReadOnlyList<DocumentVersion> versions)
    {
        Volatile.Write(ref _resetAtTicks, _time.GetUtcNow().UtcTicks);
        _versions.Clear();
        _changingUntil.Clear();
        foreach (DocumentVersion v in versions)
        {
            Set(v);
        }
    }

    /// <summary>Takes a document's version from retrieval when none is known, or when a change mark expired without a commit.</summary>
    public void Learn(DocumentKey document, ulong version)
    {
        if (_versions.TryAdd(document, version))
        {
            return;
        }

        if (_versions.TryGetValue(document, out ulong current) && current == DocumentVersion.Changing
            && (!_changingUntil.TryGetValue(document, out DateTimeOffset until) || until <= _time.GetUtcNow())
            && _versions.TryUpdate(document, version, DocumentVersion.Changing))
        {
            _changingUntil.TryRemove(document, out _);
        }
    }

    public bool IsFresh(CachedAnswer answer)
    {
        long resetAt = Volatile.Read(ref _resetAtTicks);
        if (resetAt != 0 && answer.CreatedAt.UtcTicks <= resetAt)
        {
            return false;
        }

        foreach (ProvenanceEntry p in answer.Provenance)
        {
            if (_versions.TryGetValue(p.Document, out ulong current) && current != p.DocumentHash)
            {
                return false;
            }
        }

        return true;
    }

    public bool AreCurrent(IReadOnlyList<ChunkMatch> sources)
    {
        foreach (ChunkMatch s in sources)
        {
            if (_versions.TryGetValue(s.Document, out ulong current) && current != s.DocumentHash)
            {
                return false;
            }
        }

        return true;
    }
}
