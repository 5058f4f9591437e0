using Engine.Transport.Coding;

namespace Engine.Transport.Tls;

/// <summary>
/// The server's authentication messages on the wire: Certificate (RFC 8446 §4.4.2, X.509 entries
/// with no extensions and an empty request context) and CertificateVerify (§4.4.3).
/// </summary>
internal static class CertificateMessages
{
    /// <summary>More certificates than any sane chain; a longer list is refused, not parsed.</summary>
    public const int MaxCertificates = 10;

    /// <summary>A whole Certificate message: the leaf first, then the chain.</summary>
    public static byte[] WriteCertificate(IEnumerable<byte[]> certificates)
    {
        var builder = new TlsMessageBuilder();
        int message = builder.BeginMessage(TlsHandshakeType.Certificate);
        builder.WriteByte(0); // certificate_request_context
        int list = builder.BeginVector(3);
        foreach (byte[] certificate in certificates)
        {
            builder.WriteVector(3, certificate);
            builder.WriteUInt16(0); // no per-certificate extensions
        }

        builder.EndVector(list);
        builder.EndVector(message);
        return builder.ToArray();
    }

    /// <summary>
    /// Parses a Certificate body into DER blobs, leaf first. Errors: decode_error when malformed
    /// or empty (§4.4.2.4); illegal_parameter for a non-empty request context; bad_certificate for
    /// more than <see cref="MaxCertificates"/> entries.
    /// </summary>
    public static TlsError TryParseCertificate(ReadOnlySpan<byte> body, out List<byte[]> certificates, out string reason)
    {
        certificates = [];
        var reader = new SpanReader(body);
        if (!TlsVectors.TryReadVector8(ref reader, out ReadOnlySpan<byte> context)
            || !TlsVectors.TryReadVector24(ref reader, out ReadOnlySpan<byte> list)
            || reader.Remaining != 0)
        {
            return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed Certificate", out reason);
        }

        if (!context.IsEmpty)
        {
            return TlsAlerts.Reject(TlsAlert.IllegalParameter, "server Certificate has a request context", out reason);
        }

        var listReader = new SpanReader(list);
        while (listReader.Remaining > 0)
        {
            if (!TlsVectors.TryReadVector24(ref listReader, out ReadOnlySpan<byte> data)
                || data.IsEmpty
                || !TlsVectors.TryReadVector16(ref listReader, out _))
            {
                return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed CertificateEntry", out reason);
            }

            if (certificates.Count == MaxCertificates)
            {
                return TlsAlerts.Reject(TlsAlert.BadCertificate, $"more than {MaxCertificates} certificates", out reason);
            }

            certificates.Add(data.ToArray());
        }

        if (certificates.Count == 0)
        {
            return TlsAlerts.Reject(TlsAlert.DecodeError, "server sent an empty Certificate", out reason);
        }

        return TlsAlerts.Accept(out reason);
    }

    /// <summary>A whole CertificateVerify message.</summary>
    public static byte[] WriteCertificateVerify(ushort scheme, ReadOnlySpan<byte> signature)
    {
        var builder = new TlsMessageBuilder();
        int message = builder.BeginMessage(TlsHandshakeType.CertificateVerify);
        builder.WriteUInt16(scheme);
        builder.WriteVector(2, signature);
        builder.EndVector(message);
        return builder.ToArray();
    }

    /// <summary>Parses a CertificateVerify body; decode_error when malformed.</summary>
    public static TlsError TryParseCertificateVerify(ReadOnlySpan<byte> body, out ushort scheme, out byte[] signature, out string reason)
    {
        signature = [];
        var reader = new SpanReader(body);
        if (!reader.TryReadUInt16(out scheme)
            || !TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> data)
            || data.IsEmpty
            || reader.Remaining != 0)
        {
            return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed CertificateVerify", out reason);
        }

        signature = data.ToArray();
        return TlsAlerts.Accept(out reason);
    }
}
