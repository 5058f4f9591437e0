using System.Text;
using Engine.Transport.Coding;

namespace Engine.Transport.Tls;

/// <summary>One KeyShareEntry (RFC 8446 §4.2.8).</summary>
internal readonly record struct TlsKeyShare(ushort Group, byte[] KeyExchange);

/// <summary>
/// A parsed TLS 1.3 ClientHello (RFC 8446 §4.1.2) with the extensions a QUIC server needs.
/// Values are copied out of the message. GREASE values (RFC 8701) are kept as sent.
/// </summary>
internal sealed class ClientHello
{
    public const int RandomLength = 32;
    public const int MaxSessionIdLength = 32;

    public ushort LegacyVersion { get; private init; }

    public byte[] Random { get; private init; } = [];

    public byte[] LegacySessionId { get; private init; } = [];

    public ushort[] CipherSuites { get; private init; } = [];

    public byte[] LegacyCompressionMethods { get; private init; } = [];

    /// <summary>Extension types in the order sent.</summary>
    public ushort[] ExtensionTypes { get; private init; } = [];

    public ushort[] SupportedVersions { get; private set; } = [];

    public ushort[] SupportedGroups { get; private set; } = [];

    public TlsKeyShare[] KeyShares { get; private set; } = [];

    public ushort[] SignatureAlgorithms { get; private set; } = [];

    /// <summary>ALPN protocol names as sent (RFC 7301); empty when the extension is absent.</summary>
    public string[] ApplicationProtocols { get; private set; } = [];

    /// <summary>The host_name of server_name (RFC 6066), or null when absent.</summary>
    public string? ServerName { get; private set; }

    /// <summary>The body of quic_transport_parameters (RFC 9001 §8.2), unparsed, or null when absent.</summary>
    public byte[]? TransportParametersExtension { get; private set; }

    /// <summary>
    /// Parses a whole handshake message (4-byte header and body). Errors: a length not matching
    /// the input is decode_error, another message type unexpected_message; see <see cref="TryParseBody"/>.
    /// </summary>
    public static TlsError TryParse(
        ReadOnlySpan<byte> message, out ClientHello? hello, out string reason, TlsTransportParametersCheck? checkTransportParameters = null)
    {
        hello = null;
        if (!TlsHandshakeFraming.TrySplitMessage(message, out TlsHandshakeType type, out ReadOnlySpan<byte> body, out int length)
            || length != message.Length)
        {
            reason = "handshake message truncated or followed by extra bytes";
            return TlsError.FromAlert(TlsAlert.DecodeError);
        }

        if (type != TlsHandshakeType.ClientHello)
        {
            reason = $"handshake type {(byte)type} is not ClientHello";
            return TlsError.FromAlert(TlsAlert.UnexpectedMessage);
        }

        return TryParseBody(body, out hello, out reason, checkTransportParameters);
    }

    /// <summary>
    /// Parses a ClientHello body. Returns <see cref="TlsError.None"/>, or: decode_error for
    /// malformed vectors; illegal_parameter for a repeated extension or compression other than
    /// null; protocol_version when supported_versions lacks TLS 1.3 or is missing;
    /// missing_extension without quic_transport_parameters; TransportParametersRejected when
    /// <paramref name="checkTransportParameters"/> refuses that extension's body, which it sees as
    /// soon as it is read. Never throws on peer bytes.
    /// </summary>
    public static TlsError TryParseBody(
        ReadOnlySpan<byte> body, out ClientHello? hello, out string reason, TlsTransportParametersCheck? checkTransportParameters = null)
    {
        hello = null;
        var reader = new SpanReader(body);
        if (!reader.TryReadUInt16(out ushort legacyVersion)
            || !reader.TryReadBytes(RandomLength, out ReadOnlySpan<byte> random)
            || !reader.TryReadByte(out byte sessionIdLength)
            || sessionIdLength > MaxSessionIdLength
            || !reader.TryReadBytes(sessionIdLength, out ReadOnlySpan<byte> sessionId)
            || !TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> suites)
            || suites.IsEmpty || suites.Length % 2 != 0
            || !reader.TryReadByte(out byte compressionLength)
            || compressionLength == 0
            || !reader.TryReadBytes(compressionLength, out ReadOnlySpan<byte> compression)
            || !TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> extensions)
            || reader.Remaining != 0)
        {
            reason = "malformed ClientHello fields";
            return TlsError.FromAlert(TlsAlert.DecodeError);
        }

        if (compression.Length != 1 || compression[0] != 0)
        {
            reason = "legacy_compression_methods is not [null]";
            return TlsError.FromAlert(TlsAlert.IllegalParameter);
        }

        var extensionTypes = new List<ushort>();
        var result = new ClientHello
        {
            LegacyVersion = legacyVersion,
            Random = random.ToArray(),
            LegacySessionId = sessionId.ToArray(),
            CipherSuites = ReadUInt16s(suites),
            LegacyCompressionMethods = compression.ToArray(),
        };

        var extensionReader = new SpanReader(extensions);
        while (extensionReader.Remaining > 0)
        {
            if (!extensionReader.TryReadUInt16(out ushort extensionType)
                || !TlsVectors.TryReadVector16(ref extensionReader, out ReadOnlySpan<byte> data))
            {
                reason = "truncated extension";
                return TlsError.FromAlert(TlsAlert.DecodeError);
            }

            if (extensionTypes.Contains(extensionType))
            {
                reason = $"extension {extensionType} repeated";
                return TlsError.FromAlert(TlsAlert.IllegalParameter);
            }

            extensionTypes.Add(extensionType);
            TlsError error = result.ReadExtension((TlsExtensionType)extensionType, data, checkTransportParameters, out reason);
            if (error != TlsError.None)
            {
                return error;
            }
        }

        if (Array.IndexOf(result.SupportedVersions, TlsConstants.Tls13) < 0)
        {
            reason = "supported_versions missing or without TLS 1.3";
            return TlsError.FromAlert(TlsAlert.ProtocolVersion);
        }

        if (result.TransportParametersExtension is null)
        {
            reason = "quic_transport_parameters missing";
            return TlsError.FromAlert(TlsAlert.MissingExtension);
        }

        hello = new ClientHello
        {
            LegacyVersion = result.LegacyVersion,
            Random = result.Random,
            LegacySessionId = result.LegacySessionId,
            CipherSuites = result.CipherSuites,
            LegacyCompressionMethods = result.LegacyCompressionMethods,
            ExtensionTypes = [.. extensionTypes],
            SupportedVersions = result.SupportedVersions,
            SupportedGroups = result.SupportedGroups,
            KeyShares = result.KeyShares,
            SignatureAlgorithms = result.SignatureAlgorithms,
            ApplicationProtocols = result.ApplicationProtocols,
            ServerName = result.ServerName,
            TransportParametersExtension = result.TransportParametersExtension,
        };
        return TlsAlerts.Accept(out reason);
    }

    private TlsError ReadExtension(TlsExtensionType type, ReadOnlySpan<byte> data, TlsTransportParametersCheck? checkTransportParameters, out string reason)
    {
        reason = string.Empty;
        var reader = new SpanReader(data);
        ReadOnlySpan<byte> list;
        switch (type)
        {
            case TlsExtensionType.SupportedVersions:
                if (!reader.TryReadByte(out byte versionsLength)
                    || !reader.TryReadBytes(versionsLength, out list)
                    || list.IsEmpty || list.Length % 2 != 0 || reader.Remaining != 0)
                {
                    return Malformed("supported_versions", out reason);
                }

                SupportedVersions = ReadUInt16s(list);
                break;
            case TlsExtensionType.SupportedGroups or TlsExtensionType.SignatureAlgorithms:
                if (!TlsVectors.TryReadVector16(ref reader, out list) || list.IsEmpty || list.Length % 2 != 0 || reader.Remaining != 0)
                {
                    return Malformed(type == TlsExtensionType.SupportedGroups ? "supported_groups" : "signature_algorithms", out reason);
                }

                if (type == TlsExtensionType.SupportedGroups)
                {
                    SupportedGroups = ReadUInt16s(list);
                }
                else
                {
                    SignatureAlgorithms = ReadUInt16s(list);
                }

                break;
            case TlsExtensionType.KeyShare:
                return ReadKeyShares(ref reader, out reason);
            case TlsExtensionType.ApplicationLayerProtocolNegotiation:
                return ReadAlpn(ref reader, out reason);
            case TlsExtensionType.ServerName:
                return ReadServerName(ref reader, out reason);
            case TlsExtensionType.QuicTransportParameters:
                if (checkTransportParameters is not null && !checkTransportParameters(data, out reason))
                {
                    return TlsError.TransportParametersRejected;
                }

                TransportParametersExtension = data.ToArray();
                break;
            default:
                break; // unknown or not needed here (GREASE, ECH, PSK modes, ...)
        }

        return TlsError.None;
    }

    private TlsError ReadKeyShares(ref SpanReader reader, out string reason)
    {
        if (!TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> shares) || reader.Remaining != 0)
        {
            return Malformed("key_share", out reason);
        }

        var entries = new List<TlsKeyShare>();
        var shareReader = new SpanReader(shares);
        while (shareReader.Remaining > 0)
        {
            if (!shareReader.TryReadUInt16(out ushort group)
                || !TlsVectors.TryReadVector16(ref shareReader, out ReadOnlySpan<byte> keyExchange)
                || keyExchange.IsEmpty)
            {
                return Malformed("key_share entry", out reason);
            }

            foreach (TlsKeyShare entry in entries)
            {
                if (entry.Group == group)
                {
                    reason = $"key_share repeats group 0x{group:x4}";
                    return TlsError.FromAlert(TlsAlert.IllegalParameter);
                }
            }

            entries.Add(new TlsKeyShare(group, keyExchange.ToArray()));
        }

        KeyShares = [.. entries];
        return TlsAlerts.Accept(out reason);
    }

    private TlsError ReadAlpn(ref SpanReader reader, out string reason)
    {
        if (!TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> protocols) || protocols.IsEmpty || reader.Remaining != 0)
        {
            return Malformed("application_layer_protocol_negotiation", out reason);
        }

        var names = new List<string>();
        var protocolReader = new SpanReader(protocols);
        while (protocolReader.Remaining > 0)
        {
            if (!protocolReader.TryReadByte(out byte nameLength)
                || nameLength == 0
                || !protocolReader.TryReadBytes(nameLength, out ReadOnlySpan<byte> name))
            {
                return Malformed("ALPN protocol name", out reason);
            }

            names.Add(Encoding.ASCII.GetString(name));
        }

        ApplicationProtocols = [.. names];
        return TlsAlerts.Accept(out reason);
    }

    private TlsError ReadServerName(ref SpanReader reader, out string reason)
    {
        if (!TlsVectors.TryReadVector16(ref reader, out ReadOnlySpan<byte> names) || names.IsEmpty || reader.Remaining != 0)
        {
            return Malformed("server_name", out reason);
        }

        var nameReader = new SpanReader(names);
        while (nameReader.Remaining > 0)
        {
            if (!nameReader.TryReadByte(out byte nameType)
                || !TlsVectors.TryReadVector16(ref nameReader, out ReadOnlySpan<byte> name)
                || name.IsEmpty)
            {
                return Malformed("server_name entry", out reason);
            }

            if (nameType == 0)
            {
                if (ServerName is not null)
                {
                    reason = "server_name repeats host_name";
                    return TlsError.FromAlert(TlsAlert.IllegalParameter);
                }

                ServerName = Encoding.ASCII.GetString(name);
            }
        }

        return TlsAlerts.Accept(out reason);
    }

    private static TlsError Malformed(string what, out string reason)
    {
        reason = "malformed " + what;
        return TlsError.FromAlert(TlsAlert.DecodeError);
    }

    private static ushort[] ReadUInt16s(ReadOnlySpan<byte> list)
    {
        var values = new ushort[list.Length / 2];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (ushort)((list[2 * i] << 8) | list[(2 * i) + 1]);
        }

        return values;
    }
}
