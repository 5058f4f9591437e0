using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Engine.Transport.Coding;

/// <summary>
/// QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give the
/// length (1, 2, 4 or 8 bytes), the remaining bits hold the value big-endian.
/// </summary>
internal static class VarInt
{
    /// <summary>The largest encodable value, 2^62 − 1.</summary>
    public const ulong MaxValue = (1UL << 62) - 1;

    /// <summary>The longest encoding in bytes.</summary>
    public const int MaxLength = 8;

    /// <summary>Bytes the shortest encoding of <paramref name="value"/> takes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value exceeds 2^62 − 1.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetLength(ulong value)
    {
        if (value < 1UL << 6)
        {
            return 1;
        }

        if (value < 1UL << 14)
        {
            return 2;
        }

        if (value < 1UL << 30)
        {
            return 4;
        }

        if (value <= MaxValue)
        {
            return 8;
        }

        ThrowTooLarge(value);
        return 0;
    }

    /// <summary>Bytes an encoding takes, read from the two high bits of its first byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetEncodedLength(byte firstByte) => 1 << (firstByte >> 6);

    /// <summary>
    /// Decodes one varint from the start of <paramref name="source"/>. Non-minimal encodings are
    /// accepted (the RFC allows them); returns false when the span is shorter than the encoding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int bytesConsumed)
    {
        if (source.IsEmpty)
        {
            value = 0;
            bytesConsumed = 0;
            return false;
        }

        int length = GetEncodedLength(source[0]);
        if (source.Length < length)
        {
            value = 0;
            bytesConsumed = 0;
            return false;
        }

        value = length switch
        {
            1 => source[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(source) & 0x3FFFu,
            4 => BinaryPrimitives.ReadUInt32BigEndian(source) & 0x3FFF_FFFFu,
            _ => BinaryPrimitives.ReadUInt64BigEndian(source) & MaxValue,
        };
        bytesConsumed = length;
        return true;
    }

    /// <summary>Writes the shortest encoding of <paramref name="value"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value exceeds 2^62 − 1.</exception>
    /// <exception cref="ArgumentException">The destination is too short.</exception>
    public static int Write(Span<byte> destination, ulong value)
    {
        int length = GetLength(value);
        WriteWithLength(destination, value, length);
        return length;
    }

    /// <summary>
    /// Writes <paramref name="value"/> in exactly <paramref name="length"/> bytes (1, 2, 4 or 8),
    /// for fields such as a packet's Length that are reserved before their value is known.
    /// </summary>
    public static void WriteWithLength(Span<byte> destination, ulong value, int length)
    {
        if (value > MaxValue)
        {
            ThrowTooLarge(value);
        }

        if (destination.Length < length)
        {
            ThrowDestinationTooShort(length, destination.Length);
        }

        switch (length)
        {
            case 1 when value < 1UL << 6:
                destination[0] = (byte)value;
                break;
            case 2 when value < 1UL << 14:
                BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(value | 0x4000u));
                break;
            case 4 when value < 1UL << 30:
                BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)value | 0x8000_0000u);
                break;
            case 8:
                BinaryPrimitives.WriteUInt64BigEndian(destination, value | 0xC000_0000_0000_0000UL);
                break;
            default:
                throw new ArgumentOutOfRangeException(
                    nameof(length), length, $"A varint of {length} byte(s) cannot hold {value}.");
        }
    }

    [DoesNotReturn]
    private static void ThrowTooLarge(ulong value) =>
        throw new ArgumentOutOfRangeException(nameof(value), value, "QUIC varints hold at most 2^62 - 1.");

    [DoesNotReturn]
    private static void ThrowDestinationTooShort(int needed, int available) =>
        throw new ArgumentException($"The destination has {available} byte(s); the varint needs {needed}.");
}
