namespace Engine.Snapshots;

/// <summary>
/// The changed-entity body encoding: the XOR of the new body with the baseline body (same length),
/// as (zero-run length, literal length, literal bytes) pairs that cover the body exactly. A moving
/// entity typically changes a few bytes of a position, so the XOR is mostly zeros and the record is
/// a fraction of the body; no game-specific field mask is needed.
/// </summary>
internal static class XorDelta
{
    /// <summary>
    /// A zero run shorter than this inside changed bytes is kept in the literal: a new pair costs at
    /// least two bytes of lengths, so splitting on one or two equal bytes never saves anything.
    /// </summary>
    private const int MinimumSplitRun = 3;

    /// <summary>An upper bound on <see cref="Encode"/>'s output for bodies of <paramref name="length"/> bytes.</summary>
    public static int MaxEncodedLength(int length) => length + (2 * Leb128.MaxLength * ((length / (MinimumSplitRun + 1)) + 2));

    /// <summary>
    /// Writes the delta that turns <paramref name="baseline"/> into <paramref name="current"/> (equal
    /// lengths) into <paramref name="destination"/>, which holds at least <see cref="MaxEncodedLength"/>
    /// bytes. Returns the bytes written. An empty body encodes as no pairs.
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> baseline, ReadOnlySpan<byte> current, Span<byte> destination)
    {
        if (baseline.Length != current.Length)
        {
            throw new ArgumentException("A delta needs bodies of equal length.", nameof(current));
        }

        int length = current.Length, i = 0, written = 0;
        while (i < length)
        {
            int runStart = i;
            int mismatch = baseline[i..].CommonPrefixLength(current[i..]);
            i += mismatch;
            written += Leb128.Write(destination[written..], (uint)(i - runStart));
            if (i == length)
            {
                written += Leb128.Write(destination[written..], 0);
                break;
            }

            int literalStart = i;
            while (i < length)
            {
                if (baseline[i] != current[i])
                {
                    i++;
                    continue;
                }

                int equal = baseline[i..].CommonPrefixLength(current[i..]);
                if (i + equal == length || equal >= MinimumSplitRun)
                {
                    break;
                }

                i += equal;
            }

            int literalLength = i - literalStart;
            written += Leb128.Write(destination[written..], (uint)literalLength);
            for (int k = 0; k < literalLength; k++)
            {
                destination[written + k] = (byte)(baseline[literalStart + k] ^ current[literalStart + k]);
            }

            written += literalLength;
        }

        return written;
    }

    /// <summary>
    /// Checks that <paramref name="source"/> starts with pairs covering exactly <paramref name="length"/>
    /// bytes and returns how many bytes they take. False when truncated, when a pair would pass the end
    /// of the body, or when a pair covers nothing (which would never end).
    /// </summary>
    public static bool TryMeasure(ReadOnlySpan<byte> source, int length, out int consumed)
    {
        int position = 0, covered = 0;
        consumed = 0;
        while (covered < length)
        {
            if (!Leb128.TryRead(source, ref position, out uint run) || !Leb128.TryRead(source, ref position, out uint literal))
            {
                return false;
            }

            if ((run == 0 && literal == 0) || (ulong)covered + run + literal > (ulong)length || literal > (uint)(source.Length - position))
            {
                return false;
            }

            covered += (int)(run + literal);
            position += (int)literal;
        }

        consumed = position;
        return true;
    }

    /// <summary>
    /// Writes baseline XOR delta into <paramref name="destination"/> (the baseline's length).
    /// The delta must have passed <see cref="TryMeasure"/> for that length.
    /// </summary>
    public static void Apply(ReadOnlySpan<byte> delta, ReadOnlySpan<byte> baseline, Span<byte> destination)
    {
        baseline.CopyTo(destination);
        int position = 0, covered = 0;
        while (covered < destination.Length)
        {
            Leb128.TryRead(delta, ref position, out uint run);
            Leb128.TryRead(delta, ref position, out uint literal);
            covered += (int)run;
            for (int k = 0; k < (int)literal; k++)
            {
                destination[covered + k] ^= delta[position + k];
            }

            covered += (int)literal;
            position += (int)literal;
        }
    }
}
