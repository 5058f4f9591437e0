using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// Reserved "GREASE" values (RFC 9114 §7.2.8, §7.2.4.1, §6.2.3, §8.1): every 0x1f * N + 0x21.
/// They are used for frame types, setting identifiers, stream types and error codes so peers
/// keep ignoring what they do not understand; receivers treat them as unknown.
/// </summary>
internal static class Http3Grease
{
    private const ulong Step = 0x1f;
    private const ulong Offset = 0x21;

    /// <summary>The largest N whose GREASE value still fits a varint (2^62 − 1).</summary>
    public const ulong MaxN = (VarInt.MaxValue - Offset) / Step;

    /// <summary>The smallest N whose GREASE value needs an 8-byte varint (≥ 2^30).</summary>
    public const ulong MinEightByteN = ((1UL << 30) - Offset + Step - 1) / Step;

    /// <summary>The GREASE value 0x1f * <paramref name="n"/> + 0x21.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value would not fit a varint.</exception>
    public static ulong Value(ulong n)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, MaxN);
        return (Step * n) + Offset;
    }

    /// <summary>True when <paramref name="value"/> is of the form 0x1f * N + 0x21.</summary>
    public static bool IsGrease(ulong value) => value >= Offset && (value - Offset) % Step == 0;

    /// <summary>
    /// A random GREASE value needing an 8-byte varint, as Chromium sends for setting IDs and
    /// frame types.
    /// </summary>
    public static ulong NextEightByte(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Value((ulong)random.NextInt64((long)MinEightByteN, (long)MaxN + 1));
    }
}
