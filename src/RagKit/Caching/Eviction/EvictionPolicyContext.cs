using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>The limits a policy works within.</summary>
/// <param name="MaxEntries">Most entries the cache holds.</param>
/// <param name="MaxBytes">Most bytes (sum of <see cref="EvictionEntryInfo.SizeBytes"/>) the cache holds.</param>
public readonly record struct EvictionPolicyContext(int MaxEntries, long MaxBytes);
