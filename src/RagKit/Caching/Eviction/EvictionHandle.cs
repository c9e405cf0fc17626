using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>
/// The policy's own record of one entry, handed to the cache on insert so a replayed read reaches the entry without
/// a lookup by key: a node object, or a slot in the policy's arrays with the slot's generation (so the cache keeps it
/// inline and a replay touches only the policy's compact arrays). A handle the policy has forgotten (evicted or
/// removed) stays forgotten: reads of it are ignored, even once its slot is reused.
/// </summary>
/// <param name="Node">The policy's node (node-based policies).</param>
/// <param name="Slot">The entry's slot (slot-based policies).</param>
/// <param name="Generation">The slot's generation when the handle was made (slot-based policies).</param>
internal readonly record struct EvictionHandle(object? Node, int Slot = 0, int Generation = 0);
