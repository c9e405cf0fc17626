using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Prewarming;
using RagKit.Retrieval;

namespace RagKit;

/// <summary>The pipeline's hooks for prewarming: curated answers and refresh-ahead of hot exact-tier entries.</summary>
internal sealed partial class RagPipeline : ICuratedAnswerSink, IRefreshAheadSource
{
    private readonly ConcurrentDictionary<string, RagScope> _knownScopes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string ScopeId, string Question), byte> _refreshing = new();

    /// <summary>Remembers which <see cref="RagScope"/> a scope id stands for, so refresh-ahead can ask again.</summary>
    private void RememberScope(in ScopeKey key, RagScope scope)
    {
        if (!_knownScopes.ContainsKey(key.Id))
        {
            _knownScopes.TryAdd(key.Id, scope);
        }
    }

    public async Task AddCuratedAnswerAsync(RagScope scope, string question, string answer, IEnumerable<string>? sourceDocumentIds = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ValidateQuestion(question);
        if (string.IsNullOrWhiteSpace(answer))
        {
            throw new ArgumentException("A curated answer needs text.", nameof(answer));
        }

        Internal.TextValidation.ThrowIfInvalidUtf16(answer, nameof(answer), "The curated answer");

        ScopeKey key = scope.GetKey(VersionStamp);
        RememberScope(key, scope);
        string normalized = QuestionNormalizer.Normalize(question);
        var provenance = new List<ProvenanceEntry>
        {
            new(new DocumentKey(scope.Tenant, scope.Collection, CuratedAnswers.DocumentId), CuratedAnswers.ChunkId, 0),
        };
        foreach (string id in sourceDocumentIds ?? [])
        {
            // Naming source documents ties the curated answer to them: changing one invalidates the answer.
            var doc = new DocumentKey(scope.Tenant, scope.Collection, id);
            ulong hash = _tiers.Versions.TryGet(doc, out ulong v) ? v
                : (await _store.GetDocumentAsync(doc, cancellationToken).ConfigureAwait(false))?.ContentHash
                    ?? throw new ArgumentException($"Source document '{id}' does not exist in {scope.Tenant}/{scope.Collection}.", nameof(sourceDocumentIds));
            _tiers.Versions.TryAdd(doc, hash);
            provenance.Add(new ProvenanceEntry(doc, CuratedAnswers.ChunkId, hash));
        }

        GeneratedEmbeddings<Embedding<float>> embeddings = await _embedder.GenerateAsync([normalized], cancellationToken: cancellationToken).ConfigureAwait(false);
        Internal.EmbeddingValidation.ThrowIfInvalid(embeddings, 1, _embedder, _ => $"the curated question '{Abbreviate(question)}'");
        DateTimeOffset now = _time.GetUtcNow();
        var cached = new CachedAnswer
        {
            Question = normalized,
            ScopeId = key.Id,
            Text = answer,
            Citations = [],
            Provenance = provenance,
            IsExtractive = false,
            GenerationCost = CuratedAnswers.AssumedCost,
            CreatedAt = now,
            ExpiresAt = now + _options.Ttl,
        };
        // Through every tier, the shared exact ones included, as a generated answer is.
        await _tiers.StoreAsync(key, embeddings[0].Vector, cached, cancellationToken).ConfigureAwait(false);
    }

    public IReadOnlyList<RefreshCandidate> GetRefreshCandidates(int minHits, double withinFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minHits);
        if (!(withinFraction is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(withinFraction), withinFraction, "The fraction of the TTL must be between 0 and 1.");
        }

        DateTimeOffset now = _time.GetUtcNow();
        var due = new List<RefreshCandidate>();
        foreach (CachedAnswer entry in _tiers.LocalExact.Snapshot())
        {
            if (entry.Hits < minHits || entry.ExpiresAt <= now || CuratedAnswers.IsCurated(entry))
            {
                continue;
            }

            TimeSpan lifetime = entry.ExpiresAt - entry.CreatedAt;
            if (entry.ExpiresAt - now <= lifetime * withinFraction && _knownScopes.TryGetValue(entry.ScopeId, out RagScope? scope))
            {
                due.Add(new RefreshCandidate(scope, entry.Question, entry.Hits, entry.ExpiresAt));
            }
        }

        return due;
    }

    /// <summary>Regenerates an answer bypassing the cache lookups and writes it back to every tier. False when it could not be.</summary>
    public async Task<bool> RefreshAsync(RefreshCandidate candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        RagScope scope = candidate.Scope;
        string question = QuestionNormalizer.Normalize(candidate.Question);
        ScopeKey key = scope.GetKey(VersionStamp);
        var flight = (key.Id, question);
        if (!_refreshing.TryAdd(flight, 0))
        {
            return false;
        }

        try
        {
            long start = Stopwatch.GetTimestamp();
            var timings = new StageTimings();

            // Retrieval without semantic lookups (UseCache = false), then generation with write-back (UseCache = true).
            Prepared prepared = await PrepareAsync(question, key, new AskOptions(scope) { UseCache = false }, timings, start, cancellationToken).ConfigureAwait(false);
            if (prepared.Sources.Count == 0)
            {
                return false;
            }

            await _tiers.RemoveSemanticAsync(key, question, cancellationToken).ConfigureAwait(false);

            RagAnswer answer = await GenerateAsync(question, question, key, new AskOptions(scope), prepared, timings, start, cancellationToken).ConfigureAwait(false);
            return answer.IsComplete;
        }
        finally
        {
            _refreshing.TryRemove(flight, out _);
        }
    }
}
