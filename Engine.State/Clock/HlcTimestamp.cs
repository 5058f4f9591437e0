using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.State.Clock;

/// <summary>
/// A hybrid logical clock timestamp (Kulkarni et al., "Logical Physical Clocks", 2014):
/// physical milliseconds since the Unix epoch (48 bits) and a logical counter (16 bits) packed
/// into one 64-bit word, plus the id of the node that issued it.
/// </summary>
/// <remarks>
/// Ordering is total: by physical time, then logical counter, then node id. Two distinct nodes
/// never issue equal timestamps, so a last-writer-wins register never sees a tie between
/// different writes. The wire form is 12 bytes: the packed word then the node id, both
/// big-endian (<see cref="WriteTo"/>), so timestamps sort bytewise as they compare.
/// </remarks>
// Unmanaged and packed to 12 bytes, so MemoryPack copies it as raw memory.
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly struct HlcTimestamp : IComparable<HlcTimestamp>, IEquatable<HlcTimestamp>
{
    /// <summary>Bits of the packed word that hold the logical counter.</summary>
    public const int LogicalBits = 16;

    /// <summary>The largest logical counter; one more carries into the physical part.</summary>
    public const ushort MaxLogical = ushort.MaxValue;

    /// <summary>The largest physical time representable (48 bits of milliseconds, about year 10889).</summary>
    public const long MaxPhysicalMilliseconds = (1L << 48) - 1;

    /// <summary>Size of <see cref="WriteTo"/>'s output.</summary>
    public const int EncodedSize = 12;

    /// <summary>The packed word: physical milliseconds in the high 48 bits, the logical counter in the low 16.</summary>
    public ulong Packed { get; }

    /// <summary>The node that issued this timestamp; the final tie-break.</summary>
    public uint NodeId { get; }

    /// <summary>Creates a timestamp from its packed word and node id.</summary>
    public HlcTimestamp(ulong packed, uint nodeId)
    {
        Packed = packed;
        NodeId = nodeId;
    }

    /// <summary>Creates a timestamp from its parts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The physical time is negative or beyond 48 bits.</exception>
    public HlcTimestamp(long physicalMilliseconds, ushort logical, uint nodeId)
    {
        if ((ulong)physicalMilliseconds > MaxPhysicalMilliseconds)
        {
            ThrowPhysicalOutOfRange(physicalMilliseconds);
        }

        Packed = ((ulong)physicalMilliseconds << LogicalBits) | logical;
        NodeId = nodeId;
    }

    /// <summary>The zero timestamp, lower than every timestamp a clock issues.</summary>
    public static HlcTimestamp Zero => default;

    /// <summary>Physical part: milliseconds since the Unix epoch.</summary>
    public long PhysicalMilliseconds => (long)(Packed >> LogicalBits);

    /// <summary>Logical part: events within the same physical millisecond.</summary>
    public ushort Logical => (ushort)Packed;

    /// <summary>The physical part as a point in time.</summary>
    public DateTimeOffset PhysicalTime => DateTimeOffset.FromUnixTimeMilliseconds(PhysicalMilliseconds);

    public int CompareTo(HlcTimestamp other)
    {
        int byWord = Packed.CompareTo(other.Packed);
        return byWord != 0 ? byWord : NodeId.CompareTo(other.NodeId);
    }

    public bool Equals(HlcTimestamp other) => Packed == other.Packed && NodeId == other.NodeId;

    public override bool Equals([NotNullWhen(true)] object? obj) => obj is HlcTimestamp other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Packed, NodeId);

    /// <summary>Writes the 12-byte big-endian form.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="EncodedSize"/>.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < EncodedSize)
        {
            throw new ArgumentException($"An HLC timestamp needs {EncodedSize} bytes; the destination has {destination.Length}.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, Packed);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], NodeId);
    }

    /// <summary>Reads the 12-byte big-endian form written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="ArgumentException">The source is shorter than <see cref="EncodedSize"/>.</exception>
    public static HlcTimestamp ReadFrom(ReadOnlySpan<byte> source)
    {
        if (source.Length < EncodedSize)
        {
            throw new ArgumentException($"An HLC timestamp needs {EncodedSize} bytes; the source has {source.Length}.", nameof(source));
        }

        return new HlcTimestamp(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt32BigEndian(source[8..]));
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{PhysicalTime:yyyy-MM-ddTHH:mm:ss.fffZ}+{Logical}@{NodeId}");

    public static bool operator ==(HlcTimestamp left, HlcTimestamp right) => left.Equals(right);

    public static bool operator !=(HlcTimestamp left, HlcTimestamp right) => !left.Equals(right);

    public static bool operator <(HlcTimestamp left, HlcTimestamp right) => left.CompareTo(right) < 0;

    public static bool operator <=(HlcTimestamp left, HlcTimestamp right) => left.CompareTo(right) <= 0;

    public static bool operator >(HlcTimestamp left, HlcTimestamp right) => left.CompareTo(right) > 0;

    public static bool operator >=(HlcTimestamp left, HlcTimestamp right) => left.CompareTo(right) >= 0;

    /// <summary>The larger of two timestamps.</summary>
    public static HlcTimestamp Max(HlcTimestamp a, HlcTimestamp b) => a >= b ? a : b;

    [DoesNotReturn]
    private static void ThrowPhysicalOutOfRange(long value) =>
        throw new ArgumentOutOfRangeException(nameof(value), value, $"Physical time must be between 0 and {MaxPhysicalMilliseconds} ms since the Unix epoch.");
}
