using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>What an eviction policy knows about an entry when it is inserted.</summary>
/// <param name="SizeBytes">Approximate size of the entry in bytes.</param>
/// <param name="Cost">What the entry cost to produce, in seconds (for answers: the generation time).</param>
public readonly record struct EvictionEntryInfo(long SizeBytes, double Cost);
