using Engine.Transport.Coding;

namespace Engine.Transport.Tls;

/// <summary>
/// ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4): the writer for the server and
/// the parser for the client. A HelloRetryRequest is a ServerHello with a fixed random.
/// </summary>
internal sealed class ServerHelloMessage
{
    public const int RandomLength = 32;

    /// <summary>The random that marks a HelloRetryRequest: SHA-256("HelloRetryRequest").</summary>
    public static ReadOnlySpan<byte> HelloRetryRequestRandom =>
    [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    ];

    public bool IsHelloRetryRequest { get; private init; }

    public byte[] LegacySessionIdEcho { get; private init; } = [];

    public ushort CipherSuite { get; private init; }

    /// <summary>ServerHello only: the server's key share.</summary>
    public TlsKeyShare? KeyShare { get; private set; }

    /// <summary>HelloRetryRequest only: the group the client must send a share for, if any.</summary>
    public ushort? SelectedGroup { get; private set; }

    /// <summary>HelloRetryRequest only: a cookie to echo in the second ClientHello.</summary>
    public byte[]? Cookie { get; private set; }

    /// <summary>
    /// Parses a ServerHello body. Errors: decode_error for malformed fields; protocol_version
    /// without supported_versions or for a legacy_version other than TLS 1.2; illegal_parameter
    /// for a selected version other than TLS 1.3, non-null compression, a repeated extension or
    /// a HelloRetryRequest that changes nothing; unsupported_extension for anything we never
    /// offered; missing_extension for a ServerHello without key_share.
    /// </summary>
    public static TlsError TryParse(ReadOnlySpan<byte> body, out ServerHelloMessage? hello, out string reason)
    {
        hello = null;
        var reader = new SpanReader(body);
        if (!reader.TryReadUInt16(out ushort legacyVersion)
            || !reader.TryReadBytes(RandomLength, out ReadOnlySpan<byte> random)
            || !reader.TryReadByte(out byte sessionIdLength)
            || !reader.TryReadBytes(sessionIdLength, out ReadOnlySpan<byte> sessionId)
            || !reader.TryReadUInt16(out ushort cipherSuite)
            || !reader.TryReadByte(out byte compression)
            || !TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> extensions)
            || reader.Remaining != 0)
        {
            return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed ServerHello fields", out reason);
        }

        if (legacyVersion != TlsConstants.Tls12)
        {
            return TlsAlerts.Reject(TlsAlert.ProtocolVersion, $"ServerHello legacy_version 0x{legacyVersion:x4}", out reason);
        }

        if (compression != 0)
        {
            return TlsAlerts.Reject(TlsAlert.IllegalParameter, "ServerHello compression is not null", out reason);
        }

        var result = new ServerHelloMessage
        {
            IsHelloRetryRequest = random.SequenceEqual(HelloRetryRequestRandom),
            LegacySessionIdEcho = sessionId.ToArray(),
            CipherSuite = cipherSuite,
        };

        TlsError error = result.ReadExtensions(extensions, out reason);
        if (error != TlsError.None)
        {
            return error;
        }

        hello = result;
        return TlsError.None;
    }

    /// <summary>A whole ServerHello message selecting TLS 1.3, <paramref name="cipherSuite"/> and <paramref name="keyShare"/>.</summary>
    public static byte[] WriteServerHello(ReadOnlySpan<byte> random, ReadOnlySpan<byte> sessionIdEcho, ushort cipherSuite, TlsKeyShare keyShare)
    {
        var builder = new TlsMessageBuilder();
        int message = WriteFixedPart(builder, random, sessionIdEcho, cipherSuite, out int extensions);
        WriteSupportedVersion(builder);
        builder.WriteUInt16((ushort)TlsExtensionType.KeyShare);
        int data = builder.BeginVector(2);
        builder.WriteUInt16(keyShare.Group);
        builder.WriteVector(2, keyShare.KeyExchange);
        builder.EndVector(data);
        return Finish(builder, message, extensions);
    }

    /// <summary>A whole HelloRetryRequest asking for a share of <paramref name="selectedGroup"/>.</summary>
    public static byte[] WriteHelloRetryRequest(ReadOnlySpan<byte> sessionIdEcho, ushort cipherSuite, ushort selectedGroup)
    {
        var builder = new TlsMessageBuilder();
        int message = WriteFixedPart(builder, HelloRetryRequestRandom, sessionIdEcho, cipherSuite, out int extensions);
        WriteSupportedVersion(builder);
        builder.WriteUInt16((ushort)TlsExtensionType.KeyShare);
        builder.WriteUInt16(2);
        builder.WriteUInt16(selectedGroup);
        return Finish(builder, message, extensions);
    }

    private static int WriteFixedPart(TlsMessageBuilder builder, ReadOnlySpan<byte> random, ReadOnlySpan<byte> sessionIdEcho, ushort cipherSuite, out int extensions)
    {
        int message = builder.BeginMessage(TlsHandshakeType.ServerHello);
        builder.WriteUInt16(TlsConstants.Tls12);
        builder.WriteBytes(random);
        builder.WriteVector(1, sessionIdEcho);
        builder.WriteUInt16(cipherSuite);
        builder.WriteByte(0); // legacy_compression_method
        extensions = builder.BeginVector(2);
        return message;
    }

    private static void WriteSupportedVersion(TlsMessageBuilder builder)
    {
        builder.WriteUInt16((ushort)TlsExtensionType.SupportedVersions);
        builder.WriteUInt16(2);
        builder.WriteUInt16(TlsConstants.Tls13);
    }

    private static byte[] Finish(TlsMessageBuilder builder, int message, int extensions)
    {
        builder.EndVector(extensions);
        builder.EndVector(message);
        return builder.ToArray();
    }

    private TlsError ReadExtensions(ReadOnlySpan<byte> extensions, out string reason)
    {
        var seen = new HashSet<ushort>();
        bool hasVersion = false;
        var reader = new SpanReader(extensions);
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadUInt16(out ushort type) || !TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> data))
            {
                return TlsAlerts.Reject(TlsAlert.DecodeError, "truncated ServerHello extension", out reason);
            }

            if (!seen.Add(type))
            {
                return TlsAlerts.Reject(TlsAlert.IllegalParameter, $"ServerHello repeats extension {type}", out reason);
            }

            var dataReader = new SpanReader(data);
            switch ((TlsExtensionType)type)
            {
                case TlsExtensionType.SupportedVersions:
                    if (!dataReader.TryReadUInt16(out ushort version) || dataReader.Remaining != 0)
                    {
                        return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed supported_versions", out reason);
                    }

                    if (version != TlsConstants.Tls13)
                    {
                        return TlsAlerts.Reject(TlsAlert.IllegalParameter, $"server selected version 0x{version:x4}", out reason);
                    }

                    hasVersion = true;
                    break;
                case TlsExtensionType.KeyShare when IsHelloRetryRequest:
                    if (!dataReader.TryReadUInt16(out ushort group) || dataReader.Remaining != 0)
                    {
                        return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed HelloRetryRequest key_share", out reason);
                    }

                    SelectedGroup = group;
                    break;
                case TlsExtensionType.KeyShare:
                    if (!dataReader.TryReadUInt16(out ushort shareGroup)
                        || !TlsVectors.TryReadVector16(ref dataReader, out ReadOnlySpan<byte> keyExchange)
                        || keyExchange.IsEmpty || dataReader.Remaining != 0)
                    {
                        return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed ServerHello key_share", out reason);
                    }

                    KeyShare = new TlsKeyShare(shareGroup, keyExchange.ToArray());
                    break;
                case TlsExtensionType.Cookie when IsHelloRetryRequest:
                    if (!TlsVectors.TryReadVector16(ref dataReader, out ReadOnlySpan<byte> cookie) || cookie.IsEmpty || dataReader.Remaining != 0)
                    {
                        return TlsAlerts.Reject(TlsAlert.DecodeError, "malformed cookie", out reason);
                    }

                    Cookie = cookie.ToArray();
                    break;
                default:
                    return TlsAlerts.Reject(TlsAlert.UnsupportedExtension, $"ServerHello carries extension {type} that was not offered", out reason);
            }
        }

        if (!hasVersion)
        {
            return TlsAlerts.Reject(TlsAlert.ProtocolVersion, "ServerHello without supported_versions (not TLS 1.3)", out reason);
        }

        if (IsHelloRetryRequest && SelectedGroup is null && Cookie is null)
        {
            return TlsAlerts.Reject(TlsAlert.IllegalParameter, "HelloRetryRequest asks for no change", out reason);
        }

        if (!IsHelloRetryRequest && KeyShare is null)
        {
            return TlsAlerts.Reject(TlsAlert.MissingExtension, "ServerHello without key_share", out reason);
        }

        return TlsAlerts.Accept(out reason);
    }
}
