using System.Runtime.CompilerServices;
using Engine.State.Clock;
using Engine.State.Crdt;
using MemoryPack;

namespace Engine.State.Serialization;

/// <summary>
/// The wire form of an <see cref="LwwMap{TKey, TValue}"/>: an int32 entry count (-1 for null),
/// then per entry the key, a flags byte (bit 0: removed), the 12-byte timestamp, and the value
/// only for a live entry. Written by hand rather than generated because MemoryPack copies
/// unmanaged key/entry pairs as raw memory, padding and all; this layout has no padding, no
/// out-of-range bools, and tombstones cost no value bytes.
/// </summary>
internal sealed class LwwMapFormatter<TKey, TValue> : MemoryPackFormatter<LwwMap<TKey, TValue>>
    where TKey : notnull
{
    private const byte Removed = 1;

    public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref LwwMap<TKey, TValue>? value)
    {
        if (value is null)
        {
            writer.WriteNullCollectionHeader();
            return;
        }

        writer.WriteCollectionHeader(value.Entries.Count);
        foreach ((TKey key, LwwEntry<TValue> entry) in value.Entries)
        {
            // Unmanaged keys and values take MemoryPack's raw-copy path directly (the same bytes
            // WriteValue would produce, without the formatter dispatch per entry).
            if (RuntimeHelpers.IsReferenceOrContainsReferences<TKey>())
            {
                writer.WriteValue(key);
            }
            else
            {
                writer.DangerousWriteUnmanaged(key);
            }

            writer.WriteUnmanaged(entry.IsRemoved ? Removed : (byte)0, entry.Timestamp);
            if (entry.IsRemoved)
            {
                continue;
            }

            if (RuntimeHelpers.IsReferenceOrContainsReferences<TValue>())
            {
                writer.WriteValue(entry.Value);
            }
            else
            {
                writer.DangerousWriteUnmanaged(entry.Value!);
            }
        }
    }

    public override void Deserialize(ref MemoryPackReader reader, scoped ref LwwMap<TKey, TValue>? value)
    {
        if (!reader.TryReadCollectionHeader(out int count))
        {
            value = null;
            return;
        }

        var map = new LwwMap<TKey, TValue>(count);
        for (int i = 0; i < count; i++)
        {
            TKey? key = default;
            reader.ReadValue(ref key);
            if (key is null)
            {
                throw new MemoryPackSerializationException($"LwwMap entry {i} has a null key.");
            }

            reader.ReadUnmanaged(out byte flags, out HlcTimestamp timestamp);
            if (flags > Removed)
            {
                throw new MemoryPackSerializationException($"LwwMap entry {i} has flags byte 0x{flags:x2}; only bit 0 (removed) is defined.");
            }

            if (timestamp == HlcTimestamp.Zero)
            {
                throw new MemoryPackSerializationException($"LwwMap entry {i} carries the zero timestamp, which no clock issues.");
            }

            TValue? item = default;
            if (flags == 0)
            {
                reader.ReadValue(ref item);
            }

            if (!map.TryLoad(key, new LwwEntry<TValue>(item, timestamp, isRemoved: flags == Removed)))
            {
                throw new MemoryPackSerializationException($"LwwMap lists key '{key}' twice.");
            }
        }

        value = map;
    }
}

internal static class StateFormatters
{
    // Registered when Engine.State loads, before any of its types can be (de)serialized.
#pragma warning disable CA2255 // A library-level module initializer is the one place that runs before MemoryPack first asks.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        MemoryPackFormatterProvider.RegisterGenericType(typeof(LwwMap<,>), typeof(LwwMapFormatter<,>));
}
