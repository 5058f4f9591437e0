using System.Security.Cryptography;

namespace Engine.Transport.Tls;

/// <summary>
/// HKDF-Expand-Label from TLS 1.3 (RFC 8446 §7.1): the key schedule's one derivation step, also
/// used by QUIC for its packet keys (RFC 9001 §5.1), which is why it lives in TLS and QUIC calls it.
/// The HkdfLabel structure is built on the stack, so a derivation allocates nothing managed.
/// </summary>
internal static class TlsHkdf
{
    /// <summary>Prefix TLS 1.3 puts before every label.</summary>
    private static ReadOnlySpan<byte> LabelPrefix => "tls13 "u8;

    /// <summary>Largest HkdfLabel: u16 length, u8 + 255 label bytes, u8 + 255 context bytes.</summary>
    private const int MaxInfoLength = 2 + 1 + 255 + 1 + 255;

    /// <summary>
    /// Fills <paramref name="output"/> with HKDF-Expand(secret, HkdfLabel(output.Length, "tls13 " + label, context)).
    /// <paramref name="label"/> is given without the "tls13 " prefix, e.g. <c>"quic key"u8</c>.
    /// </summary>
    public static void ExpandLabel(
        HashAlgorithmName hash,
        ReadOnlySpan<byte> secret,
        ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> context,
        Span<byte> output)
    {
        Span<byte> info = stackalloc byte[MaxInfoLength];
        int infoLength = WriteLabelInfo(output.Length, label, context, info);
        HKDF.Expand(hash, secret, output, info[..infoLength]);
    }

    /// <summary>
    /// Writes the serialised HkdfLabel (the "info" given to HKDF-Expand) and returns its length.
    /// Exposed so tests can compare it with the label bytes printed in RFC 9001 Appendix A.1.
    /// </summary>
    public static int WriteLabelInfo(int outputLength, ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(outputLength, ushort.MaxValue);
        int fullLabelLength = LabelPrefix.Length + label.Length;
        if (fullLabelLength > byte.MaxValue)
        {
            throw new ArgumentException("HKDF label longer than 255 bytes with its prefix.", nameof(label));
        }

        if (context.Length > byte.MaxValue)
        {
            throw new ArgumentException("HKDF context longer than 255 bytes.", nameof(context));
        }

        int length = 2 + 1 + fullLabelLength + 1 + context.Length;
        if (destination.Length < length)
        {
            throw new ArgumentException("Destination too small for the HkdfLabel.", nameof(destination));
        }

        destination[0] = (byte)(outputLength >> 8);
        destination[1] = (byte)outputLength;
        destination[2] = (byte)fullLabelLength;
        LabelPrefix.CopyTo(destination[3..]);
        label.CopyTo(destination[(3 + LabelPrefix.Length)..]);
        int contextAt = 3 + fullLabelLength;
        destination[contextAt] = (byte)context.Length;
        context.CopyTo(destination[(contextAt + 1)..]);
        return length;
    }
}
