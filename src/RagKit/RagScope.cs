using System.IO.Hashing;
using System.Text;

namespace RagKit;

/// <summary>
/// Who asks and over what: a tenant, a collection and the caller's access groups.
/// Every cache key, cache lookup and vector query carries one; nothing cached or retrieved under one
/// scope is ever served under another.
/// </summary>
/// <remarks>
/// The pipeline adds the versions of the generator model, the prompt template and the embedding model,
/// so changing any of them never serves answers made with the old ones.
/// Scopes are immutable; reuse one instance per caller to keep the hot path free of allocation.
/// </remarks>
public sealed class RagScope : IEquatable<RagScope>
{
    /// <summary>The longest tenant, collection or access-group name accepted.</summary>
    public const int MaxNameLength = 256;

    private readonly string _canonical;
    private VersionedKey? _lastKey;

    /// <summary>Creates a scope.</summary>
    /// <param name="tenant">The tenant; never empty.</param>
    /// <param name="collection">The document collection within the tenant.</param>
    /// <param name="accessGroups">Groups the caller belongs to. Documents ingested for a group are only
    /// retrieved by callers in it; documents ingested with no groups are visible to the whole tenant collection.</param>
    /// <exception cref="ArgumentException">A name is empty, too long, contains control characters or is not valid
    /// UTF-16 (a lone surrogate).</exception>
    public RagScope(string tenant, string collection = "default", IEnumerable<string>? accessGroups = null)
    {
        ValidateName(tenant, nameof(tenant));
        ValidateName(collection, nameof(collection));
        Tenant = tenant;
        Collection = collection;

        string[] groups = accessGroups is null ? [] : accessGroups.ToArray();
        foreach (string g in groups)
        {
            ValidateName(g, nameof(accessGroups));
        }

        Array.Sort(groups, StringComparer.Ordinal);
        AccessGroups = groups.Distinct(StringComparer.Ordinal).ToArray();

        // Length-prefixed so that no choice of names can make two different scopes collide.
        var sb = new StringBuilder();
        Append(sb, tenant);
        Append(sb, collection);
        sb.Append(AccessGroups.Count).Append('#');
        foreach (string g in AccessGroups)
        {
            Append(sb, g);
        }

        _canonical = sb.ToString();
    }

    /// <summary>The tenant.</summary>
    public string Tenant { get; }

    /// <summary>The document collection within the tenant.</summary>
    public string Collection { get; }

    /// <summary>The caller's access groups, sorted and distinct.</summary>
    public IReadOnlyList<string> AccessGroups { get; }

    /// <summary>A stable text form of the scope, without versions.</summary>
    public string CanonicalId => _canonical;

    /// <summary>Creates a scope for the given tenant and the default collection with no access groups.</summary>
    public static RagScope ForTenant(string tenant) => new(tenant);

    /// <summary>True when a document ingested with <paramref name="documentGroups"/> may be read by this scope.</summary>
    public bool CanRead(IReadOnlyList<string> documentGroups)
    {
        ArgumentNullException.ThrowIfNull(documentGroups);
        if (documentGroups.Count == 0)
        {
            return true;
        }

        foreach (string g in documentGroups)
        {
            for (int i = 0; i < AccessGroups.Count; i++)
            {
                if (string.Equals(AccessGroups[i], g, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The cache key of this scope combined with a pipeline's version stamp.</summary>
    internal ScopeKey GetKey(string versionStamp)
    {
        VersionedKey? last = Volatile.Read(ref _lastKey);
        if (last is not null && ReferenceEquals(last.Stamp, versionStamp))
        {
            return last.Key;
        }

        var key = ScopeKey.FromId(_canonical + "|v:" + versionStamp);
        Volatile.Write(ref _lastKey, new VersionedKey(versionStamp, key));
        return key;
    }

    /// <inheritdoc />
    public bool Equals(RagScope? other) => other is not null && string.Equals(_canonical, other._canonical, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RagScope s && Equals(s);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_canonical);

    /// <inheritdoc />
    public override string ToString() => AccessGroups.Count == 0
        ? $"{Tenant}/{Collection}"
        : $"{Tenant}/{Collection} [{string.Join(",", AccessGroups)}]";

    private static void Append(StringBuilder sb, string s) => sb.Append(s.Length).Append(':').Append(s).Append(';');

    private static void ValidateName(string? value, string paramName)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException("A scope name must not be null, empty or whitespace.", paramName);
        }

        if (value.Length > MaxNameLength)
        {
            throw new ArgumentException($"A scope name must be at most {MaxNameLength} characters; got {value.Length}.", paramName);
        }

        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException("A scope name must not contain control characters.", paramName);
            }
        }

        Internal.TextValidation.ThrowIfInvalidUtf16(value, paramName, "A scope name");
    }

    private sealed record VersionedKey(string Stamp, ScopeKey Key);
}

/// <summary>A scope together with the pipeline's versions, in the form caches key on.</summary>
/// <param name="Id">The full text form; compared on every hit so that a hash collision can never cross scopes.</param>
/// <param name="Hash">A 64-bit hash of <paramref name="Id"/>.</param>
public readonly record struct ScopeKey(string Id, ulong Hash)
{
    /// <summary>The key of a scope id: the id and its 64-bit XxHash3 hash (over UTF-8), as every RagKit front end forms it.</summary>
    /// <param name="id">The scope's full text form.</param>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null or empty.</exception>
    public static ScopeKey FromId(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new ScopeKey(id, XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(id)));
    }
}
