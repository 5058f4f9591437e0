using System.Text;
using Engine.Transport.Coding;

namespace Engine.Transport.Tls;

/// <summary>
/// Writes the ClientHello our client sends (RFC 8446 §4.1.2): TLS 1.3 only, no PSK, no early
/// data, an empty legacy_session_id (RFC 9001 §8.4 lets QUIC skip middlebox compatibility).
/// </summary>
internal static class ClientHelloWriter
{
    /// <summary>A whole ClientHello message; <paramref name="transportParameters"/> is the quic_transport_parameters body as is.</summary>
    public static byte[] Write(
        ReadOnlySpan<byte> random,
        IReadOnlyList<ushort> cipherSuites,
        IReadOnlyList<ushort> supportedGroups,
        IReadOnlyList<TlsKeyShare> keyShares,
        IReadOnlyList<ushort> signatureAlgorithms,
        IReadOnlyList<string> applicationProtocols,
        string? serverName,
        ReadOnlySpan<byte> transportParameters,
        byte[]? cookie)
    {
        var builder = new TlsMessageBuilder();
        int message = builder.BeginMessage(TlsHandshakeType.ClientHello);
        builder.WriteUInt16(TlsConstants.Tls12);
        builder.WriteBytes(random);
        builder.WriteByte(0); // legacy_session_id
        WriteUInt16List(builder, 2, cipherSuites);
        builder.WriteByte(1);
        builder.WriteByte(0); // legacy_compression_methods = [null]

        int extensions = builder.BeginVector(2);
        if (serverName is not null)
        {
            int sni = BeginExtension(builder, TlsExtensionType.ServerName);
            int names = builder.BeginVector(2);
            builder.WriteByte(0); // host_name
            builder.WriteVector(2, Encoding.ASCII.GetBytes(serverName));
            builder.EndVector(names);
            builder.EndVector(sni);
        }

        int versions = BeginExtension(builder, TlsExtensionType.SupportedVersions);
        WriteUInt16List(builder, 1, [TlsConstants.Tls13]);
        builder.EndVector(versions);

        int groups = BeginExtension(builder, TlsExtensionType.SupportedGroups);
        WriteUInt16List(builder, 2, supportedGroups);
        builder.EndVector(groups);

        int signatures = BeginExtension(builder, TlsExtensionType.SignatureAlgorithms);
        WriteUInt16List(builder, 2, signatureAlgorithms);
        builder.EndVector(signatures);

        int shares = BeginExtension(builder, TlsExtensionType.KeyShare);
        int shareList = builder.BeginVector(2);
        foreach (TlsKeyShare share in keyShares)
        {
            builder.WriteUInt16(share.Group);
            builder.WriteVector(2, share.KeyExchange);
        }

        builder.EndVector(shareList);
        builder.EndVector(shares);

        int alpn = BeginExtension(builder, TlsExtensionType.ApplicationLayerProtocolNegotiation);
        int protocols = builder.BeginVector(2);
        foreach (string protocol in applicationProtocols)
        {
            builder.WriteVector(1, Encoding.ASCII.GetBytes(protocol));
        }

        builder.EndVector(protocols);
        builder.EndVector(alpn);

        if (cookie is not null)
        {
            int cookieExtension = BeginExtension(builder, TlsExtensionType.Cookie);
            builder.WriteVector(2, cookie);
            builder.EndVector(cookieExtension);
        }

        int quic = BeginExtension(builder, TlsExtensionType.QuicTransportParameters);
        builder.WriteBytes(transportParameters);
        builder.EndVector(quic);

        builder.EndVector(extensions);
        builder.EndVector(message);
        return builder.ToArray();
    }

    private static int BeginExtension(TlsMessageBuilder builder, TlsExtensionType type)
    {
        builder.WriteUInt16((ushort)type);
        return builder.BeginVector(2);
    }

    private static void WriteUInt16List(TlsMessageBuilder builder, int lengthBytes, IReadOnlyList<ushort> values)
    {
        int list = builder.BeginVector(lengthBytes);
        foreach (ushort value in values)
        {
            builder.WriteUInt16(value);
        }

        builder.EndVector(list);
    }
}
