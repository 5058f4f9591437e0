using System.Runtime.InteropServices;

namespace Engine.State.Crdt;

/// <summary>One node's count: a GCounter entry, or a version-vector entry in a causal context.</summary>
// Unmanaged and packed to 12 bytes, so MemoryPack copies it as raw memory with no padding.
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct NodeCount(uint NodeId, ulong Count);
