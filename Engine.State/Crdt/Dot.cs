using System.Runtime.InteropServices;

namespace Engine.State.Crdt;

/// <summary>A unique event id: the <see cref="Counter"/>-th event of node <see cref="NodeId"/> (counters start at 1).</summary>
// Unmanaged and packed to 12 bytes, so MemoryPack copies it as raw memory.
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct Dot(uint NodeId, ulong Counter)
{
    public override string ToString() => $"{NodeId}:{Counter}";
}
