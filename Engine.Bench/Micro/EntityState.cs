using MemoryPack;

namespace Engine.Bench.Micro;

/// <summary>A typical per-entity game state: position, velocity, heading, health, flags.</summary>
[MemoryPackable]
public partial record struct EntityState(float X, float Y, float VelocityX, float VelocityY, float Heading, short Health, byte Flags);
