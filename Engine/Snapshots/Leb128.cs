namespace Engine.Snapshots;

/// <summary>
/// Unsigned LEB128 for 32-bit values: seven bits per byte, least significant group first, high bit
/// set on every byte but the last. Chosen over QUIC varints because small ids and lengths (under 128)
/// take one byte and a browser decoder is four lines.
/// </summary>
internal static class Leb128
{
    /// <summary>The longest encoding of a 32-bit value.</summary>
    public const int MaxLength = 5;

    /// <summary>Bytes <see cref="Write"/> uses for <paramref name="value"/>.</summary>
    public static int Size(uint value) => value < 1u << 7 ? 1 : value < 1u << 14 ? 2 : value < 1u << 21 ? 3 : value < 1u << 28 ? 4 : 5;

    /// <summary>Writes the shortest encoding of <paramref name="value"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads one value at <paramref name="position"/> and advances it. False (position unchanged) when
    /// the bytes end first, the encoding is longer than five bytes, or the value exceeds 2^32 − 1.
    /// Non-shortest encodings are accepted.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, ref int position, out uint value)
    {
        uint result = 0;
        for (int i = 0; i < MaxLength; i++)
        {
            int at = position + i;
            if (at >= source.Length)
            {
                break;
            }

            byte b = source[at];
            if (i == MaxLength - 1 && b > 0x0F)
            {
                break; // bits beyond 32, or a sixth byte
            }

            result |= (uint)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                position = at + 1;
                value = result;
                return true;
            }
        }

        value = 0;
        return false;
    }
}
