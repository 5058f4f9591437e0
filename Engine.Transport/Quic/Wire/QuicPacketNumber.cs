using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire;

/// <summary>
/// Packet number truncation and recovery (RFC 9000 §17.1 and Appendix A). Packet numbers are
/// 0 to 2^62 − 1; "none yet" is -1.
/// </summary>
internal static class QuicPacketNumber
{
    public const long MaxValue = (1L << 62) - 1;

    /// <summary>
    /// Bytes (1–4) to send <paramref name="packetNumber"/> in, so the receiver can recover it:
    /// the encoding must cover twice the packets in flight since <paramref name="largestAcknowledged"/>
    /// (-1 when nothing has been acknowledged).
    /// </summary>
    public static int GetEncodedLength(long packetNumber, long largestAcknowledged)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(packetNumber);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packetNumber, MaxValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(largestAcknowledged, -1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(largestAcknowledged, packetNumber);

        long unacknowledged = largestAcknowledged < 0 ? packetNumber + 1 : packetNumber - largestAcknowledged;
        return unacknowledged switch
        {
            < 1L << 7 => 1,
            < 1L << 15 => 2,
            < 1L << 23 => 3,
            < 1L << 31 => 4,
            _ => throw new ArgumentOutOfRangeException(
                nameof(packetNumber), packetNumber, "More than 2^31 packets are unacknowledged; 4 bytes cannot encode the gap."),
        };
    }

    /// <summary>Writes the low <paramref name="length"/> bytes of <paramref name="packetNumber"/> big-endian.</summary>
    public static void Write(ref SpanWriter writer, long packetNumber, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 4);
        for (int shift = (length - 1) * 8; shift >= 0; shift -= 8)
        {
            writer.WriteByte((byte)(packetNumber >> shift));
        }
    }

    /// <summary>Reads a truncated packet number of <paramref name="length"/> bytes (after header protection is removed).</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, int length, out uint truncated)
    {
        truncated = 0;
        if ((uint)(length - 1) > 3 || source.Length < length)
        {
            return false;
        }

        for (int i = 0; i < length; i++)
        {
            truncated = truncated << 8 | source[i];
        }

        return true;
    }

    /// <summary>
    /// Recovers the full packet number closest to <paramref name="largestReceived"/> + 1 whose low
    /// bits are <paramref name="truncated"/> (RFC 9000 Appendix A.3). <paramref name="largestReceived"/>
    /// is -1 before any packet of the space has been processed.
    /// </summary>
    public static long Decode(long largestReceived, uint truncated, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 4);

        long expected = largestReceived + 1;
        long window = 1L << (length * 8);
        long halfWindow = window / 2;
        long mask = window - 1;
        long candidate = (expected & ~mask) | truncated;

        // Move one window up or down when that lands closer to the expected number, but never
        // outside 0..2^62-1.
        if (candidate <= expected - halfWindow && candidate < (1L << 62) - window)
        {
            return candidate + window;
        }

        if (candidate > expected + halfWindow && candidate >= window)
        {
            return candidate - window;
        }

        return candidate;
    }
}
