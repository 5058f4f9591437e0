namespace Engine.Transport.Http3.QPack;

internal enum QPackReadStatus
{
    Success,

    /// <summary>The input ends before the item does; more bytes may complete it.</summary>
    NeedMoreData,

    /// <summary>The item can never be valid: integer overflow, bad Huffman.</summary>
    Invalid,
}

/// <summary>
/// Prefixed integers (RFC 7541 §5.1, used by RFC 9204 §4.1.1) and string literals (RFC 9204 §4.1.2).
/// The prefix is the low <c>prefixBits</c> bits of the first byte; the bits above it belong to the caller.
/// </summary>
internal static class QPackIntegers
{
    /// <summary>Largest value accepted, matching QUIC's 62-bit integers.</summary>
    public const ulong MaxValue = (1UL << 62) - 1;

    /// <summary>Continuation bytes allowed after the prefix; 9 carry 63 bits, one more tolerates padding.</summary>
    public const int MaxContinuationBytes = 10;

    /// <summary>Longest encoding: the prefix byte plus every continuation byte.</summary>
    public const int MaxLength = 1 + MaxContinuationBytes;

    public static QPackReadStatus TryRead(ReadOnlySpan<byte> source, int prefixBits, out ulong value, out int consumed)
    {
        CheckPrefix(prefixBits);
        value = 0;
        consumed = 0;
        if (source.IsEmpty)
        {
            return QPackReadStatus.NeedMoreData;
        }

        ulong prefixMax = (1UL << prefixBits) - 1;
        ulong result = source[0] & prefixMax;
        if (result < prefixMax)
        {
            value = result;
            consumed = 1;
            return QPackReadStatus.Success;
        }

        int shift = 0;
        for (int i = 1; i <= MaxContinuationBytes; i++)
        {
            if (i >= source.Length)
            {
                return QPackReadStatus.NeedMoreData;
            }

            ulong chunk = source[i] & 0x7Fu;
            // Overflow-safe form of result + (chunk << shift) <= MaxValue.
            if (chunk > (MaxValue - result) >> shift)
            {
                return QPackReadStatus.Invalid;
            }

            result += chunk << shift;
            if ((source[i] & 0x80) == 0)
            {
                value = result;
                consumed = i + 1;
                return QPackReadStatus.Success;
            }

            shift += 7;
        }

        return QPackReadStatus.Invalid;
    }

    public static int GetLength(ulong value, int prefixBits)
    {
        CheckPrefix(prefixBits);
        ulong prefixMax = (1UL << prefixBits) - 1;
        if (value < prefixMax)
        {
            return 1;
        }

        int length = 2;
        for (value -= prefixMax; value >= 0x80; value >>= 7)
        {
            length++;
        }

        return length;
    }

    /// <summary>
    /// Writes <paramref name="value"/> with its prefix OR-ed into <paramref name="firstByteFlags"/>, which must
    /// only use bits above the prefix. Returns bytes written.
    /// </summary>
    public static int Write(Span<byte> destination, ulong value, int prefixBits, byte firstByteFlags = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxValue);
        int length = GetLength(value, prefixBits);
        ulong prefixMax = (1UL << prefixBits) - 1;

        if ((firstByteFlags & prefixMax) != 0)
        {
            throw new ArgumentException("Flags overlap the integer prefix.", nameof(firstByteFlags));
        }

        if (destination.Length < length)
        {
            throw new ArgumentException("Destination too small for the integer.", nameof(destination));
        }

        if (value < prefixMax)
        {
            destination[0] = (byte)(firstByteFlags | (byte)value);
            return 1;
        }

        destination[0] = (byte)(firstByteFlags | (byte)prefixMax);
        value -= prefixMax;
        int i = 1;
        for (; value >= 0x80; value >>= 7)
        {
            destination[i++] = (byte)(0x80 | (value & 0x7F));
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads the header of a string literal: the H bit just above the prefix and the length. The string's bytes
    /// (<paramref name="length"/> of them) follow the <paramref name="consumed"/> header bytes.
    /// </summary>
    public static QPackReadStatus TryReadStringHeader(
        ReadOnlySpan<byte> source, int prefixBits, out bool huffman, out ulong length, out int consumed)
    {
        huffman = !source.IsEmpty && (source[0] & (1 << prefixBits)) != 0;
        return TryRead(source, prefixBits, out length, out consumed);
    }

    /// <summary>Encoded length of a string literal as <see cref="WriteString"/> writes it.</summary>
    public static int GetStringLength(ReadOnlySpan<byte> value, int prefixBits)
    {
        int payload = Math.Min(value.Length, Huffman.GetEncodedLength(value));
        return GetLength((ulong)payload, prefixBits) + payload;
    }

    /// <summary>
    /// Writes a string literal, Huffman-encoded when that is shorter, with the H bit at
    /// <c>1 &lt;&lt; prefixBits</c>. Returns bytes written.
    /// </summary>
    public static int WriteString(Span<byte> destination, ReadOnlySpan<byte> value, int prefixBits, byte firstByteFlags = 0)
    {
        CheckPrefix(prefixBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixBits, 7); // the H bit sits above the prefix

        int huffmanLength = Huffman.GetEncodedLength(value);
        if (huffmanLength < value.Length)
        {
            int header = Write(destination, (ulong)huffmanLength, prefixBits, (byte)(firstByteFlags | (1 << prefixBits)));
            return header + Huffman.Encode(value, destination[header..]);
        }

        int written = Write(destination, (ulong)value.Length, prefixBits, firstByteFlags);
        value.CopyTo(destination[written..]);
        return written + value.Length;
    }

    private static void CheckPrefix(int prefixBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(prefixBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixBits, 8);
    }
}
