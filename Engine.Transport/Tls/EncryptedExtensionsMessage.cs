using System.Text;
using Engine.Transport.Coding;

namespace Engine.Transport.Tls;

/// <summary>
/// EncryptedExtensions (RFC 8446 §4.3.1) as a QUIC server sends it: the selected ALPN protocol
/// and quic_transport_parameters. Written by the server, parsed by the client.
/// </summary>
internal sealed class EncryptedExtensionsMessage
{
    public string? ApplicationProtocol { get; private set; }

    /// <summary>The body of quic_transport_parameters (RFC 9001 §8.2), unparsed.</summary>
    public byte[]? TransportParametersExtension { get; private set; }

    /// <summary>A whole EncryptedExtensions message; <paramref name="transportParameters"/> is the extension body as is.</summary>
    public static byte[] Write(string applicationProtocol, ReadOnlySpan<byte> transportParameters)
    {
        var builder = new TlsMessageBuilder();
        int message = builder.BeginMessage(TlsHandshakeType.EncryptedExtensions);
        int extensions = builder.BeginVector(2);

        builder.WriteUInt16((ushort)TlsExtensionType.ApplicationLayerProtocolNegotiation);
        int alpn = builder.BeginVector(2);
        int list = builder.BeginVector(2);
        builder.WriteVector(1, Encoding.ASCII.GetBytes(applicationProtocol));
        builder.EndVector(list);
        builder.EndVector(alpn);

        builder.WriteUInt16((ushort)TlsExtensionType.QuicTransportParameters);
        builder.WriteVector(2, transportParameters);

        builder.EndVector(extensions);
        builder.EndVector(message);
        return builder.ToArray();
    }

    /// <summary>
    /// Parses an EncryptedExtensions body. Errors: decode_error when malformed; illegal_parameter
    /// for a repeated extension or an ALPN list that is not exactly one name; unsupported_extension
    /// for an extension we did not offer; missing_extension without quic_transport_parameters;
    /// TransportParametersRejected when <paramref name="checkTransportParameters"/> refuses that
    /// extension's body, which it sees as soon as it is read (RFC 9001 §8.2).
    /// </summary>
    public static TlsError TryParse(
        ReadOnlySpan<byte> body, out EncryptedExtensionsMessage? message, out string reason, TlsTransportParametersCheck? checkTransportParameters = null)
    {
        message = null;
        var reader = new SpanReader(body);
        if (!TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> extensions) || reader.Remaining != 0)
        {
            return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed EncryptedExtensions", out reason);
        }

        var result = new EncryptedExtensionsMessage();
        var seen = new HashSet<ushort>();
        var extensionReader = new SpanReader(extensions);
        while (extensionReader.Remaining > 0)
        {
            if (!extensionReader.TryReadUInt16(out ushort type) || !TlsVectors.TryReadVector16(ref extensionReader, out ReadOnlySpan<byte> data))
            {
                return TlsAlerts.Reject(TlsAlert.DecodeError, "truncated EncryptedExtensions extension", out reason);
            }

            if (!seen.Add(type))
            {
                return TlsAlerts.Reject(TlsAlert.IllegalParameter, $"EncryptedExtensions repeats extension {type}", out reason);
            }

            TlsError error = result.ReadExtension((TlsExtensionType)type, data, checkTransportParameters, out reason);
            if (error != TlsError.None)
            {
                return error;
            }
        }

        if (result.TransportParametersExtension is null)
        {
            return TlsAlerts.Reject(TlsAlert.MissingExtension, "EncryptedExtensions lacks quic_transport_parameters", out reason);
        }

        message = result;
        return TlsAlerts.Accept(out reason);
    }

    private TlsError ReadExtension(TlsExtensionType type, ReadOnlySpan<byte> data, TlsTransportParametersCheck? checkTransportParameters, out string reason)
    {
        var reader = new SpanReader(data);
        switch (type)
        {
            case TlsExtensionType.ApplicationLayerProtocolNegotiation:
                if (!TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> list) || reader.Remaining != 0)
                {
                    return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed ALPN", out reason);
                }

                var listReader = new SpanReader(list);
                if (!TlsVectors.TryReadVector8(ref listReader, out ReadOnlySpan<byte> name) || name.IsEmpty || listReader.Remaining != 0)
                {
                    return TlsAlerts.Reject(TlsAlert.IllegalParameter, "server ALPN is not exactly one protocol", out reason);
                }

                ApplicationProtocol = Encoding.ASCII.GetString(name);
                break;
            case TlsExtensionType.QuicTransportParameters:
                if (checkTransportParameters is not null && !checkTransportParameters(data, out reason))
                {
                    return TlsError.TransportParametersRejected;
                }

                TransportParametersExtension = data.ToArray();
                break;
            case TlsExtensionType.ServerName:
                if (!data.IsEmpty)
                {
                    return TlsAlerts.Reject(TlsAlert.DecodeError, "server_name acknowledgement is not empty", out reason);
                }

                break;
            default:
                return TlsAlerts.Reject(TlsAlert.UnsupportedExtension, $"EncryptedExtensions carries extension {(ushort)type} that was not offered", out reason);
        }

        return TlsAlerts.Accept(out reason);
    }
}
