using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Quic;

/// <summary>Transport parameter identifiers (RFC 9000 §18.2, RFC 9221).</summary>
internal enum TransportParameterId : ulong
{
    OriginalDestinationConnectionId = 0x00,
    MaxIdleTimeout = 0x01,
    StatelessResetToken = 0x02,
    MaxUdpPayloadSize = 0x03,
    InitialMaxData = 0x04,
    InitialMaxStreamDataBidiLocal = 0x05,
    InitialMaxStreamDataBidiRemote = 0x06,
    InitialMaxStreamDataUni = 0x07,
    InitialMaxStreamsBidi = 0x08,
    InitialMaxStreamsUni = 0x09,
    AckDelayExponent = 0x0a,
    MaxAckDelay = 0x0b,
    DisableActiveMigration = 0x0c,
    PreferredAddress = 0x0d,
    ActiveConnectionIdLimit = 0x0e,
    InitialSourceConnectionId = 0x0f,
    RetrySourceConnectionId = 0x10,
    MaxDatagramFrameSize = 0x20,
}

/// <summary>
/// QUIC transport parameters (RFC 9000 §18) as carried in the TLS quic_transport_parameters
/// extension. Absent parameters take the RFC defaults. Connection IDs are null when absent
/// (distinct from present and empty). <see cref="TryParse"/> never throws on peer bytes: a
/// violation returns false with a reason, to be sent as TRANSPORT_PARAMETER_ERROR.
/// </summary>
internal sealed class TransportParameters
{
    public const ulong DefaultMaxUdpPayloadSize = 65527;
    public const ulong DefaultAckDelayExponent = 3;
    public const ulong DefaultMaxAckDelay = 25;
    public const ulong DefaultActiveConnectionIdLimit = 2;
    public const int StatelessResetTokenLength = 16;
    public const int MaxConnectionIdLength = 20;

    /// <summary>Largest preferred_address value: IPv4 (4+2), IPv6 (16+2), CID length, CID, token.</summary>
    private const int PreferredAddressFixedLength = 4 + 2 + 16 + 2 + 1 + StatelessResetTokenLength;

    /// <summary>Server only.</summary>
    public byte[]? OriginalDestinationConnectionId { get; init; }

    /// <summary>Milliseconds; 0 disables the idle timeout.</summary>
    public ulong MaxIdleTimeout { get; init; }

    /// <summary>Server only; 16 bytes.</summary>
    public byte[]? StatelessResetToken { get; init; }

    public ulong MaxUdpPayloadSize { get; init; } = DefaultMaxUdpPayloadSize;

    public ulong InitialMaxData { get; init; }

    public ulong InitialMaxStreamDataBidiLocal { get; init; }

    public ulong InitialMaxStreamDataBidiRemote { get; init; }

    public ulong InitialMaxStreamDataUni { get; init; }

    public ulong InitialMaxStreamsBidi { get; init; }

    public ulong InitialMaxStreamsUni { get; init; }

    public ulong AckDelayExponent { get; init; } = DefaultAckDelayExponent;

    /// <summary>Milliseconds.</summary>
    public ulong MaxAckDelay { get; init; } = DefaultMaxAckDelay;

    public bool DisableActiveMigration { get; init; }

    /// <summary>Server only; the raw value (validated for structure on parse).</summary>
    public byte[]? PreferredAddress { get; init; }

    public ulong ActiveConnectionIdLimit { get; init; } = DefaultActiveConnectionIdLimit;

    public byte[]? InitialSourceConnectionId { get; init; }

    /// <summary>Server only.</summary>
    public byte[]? RetrySourceConnectionId { get; init; }

    /// <summary>RFC 9221; 0 when absent (DATAGRAM frames not supported).</summary>
    public ulong MaxDatagramFrameSize { get; init; }

    /// <summary>True for a reserved (GREASE) identifier 31 * N + 27 (RFC 9000 §18.1).</summary>
    public static bool IsGrease(ulong id) => id >= 27 && (id - 27) % 31 == 0;

    /// <summary>
    /// Parses the extension body. <paramref name="fromServer"/> says who sent it: server-only
    /// parameters from a client are an error. Unknown and GREASE identifiers are skipped.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> source, bool fromServer, out TransportParameters parameters, out string error)
    {
        parameters = new TransportParameters();
        var p = new Builder();
        var reader = new SpanReader(source);
        ulong seen = 0; // bit per known id (ids 0x00–0x10 and 0x20 → bit 17)
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadVarint(out ulong id))
            {
                error = "truncated parameter id";
                return false;
            }

            if (!reader.TryReadVarint(out ulong length))
            {
                error = $"truncated length of parameter 0x{id:x}";
                return false;
            }

            if (!reader.TryReadBytes(length, out ReadOnlySpan<byte> value))
            {
                error = $"truncated value of parameter 0x{id:x}";
                return false;
            }

            int bit = id <= 0x10 ? (int)id : id == 0x20 ? 17 : -1;
            if (bit < 0)
            {
                continue; // unknown or GREASE: ignored (§18.1, §7.4.2)
            }

            if ((seen & (1UL << bit)) != 0)
            {
                error = $"duplicate parameter 0x{id:x}";
                return false;
            }

            seen |= 1UL << bit;
            var known = (TransportParameterId)id;
            if (!fromServer && known is TransportParameterId.OriginalDestinationConnectionId
                or TransportParameterId.StatelessResetToken
                or TransportParameterId.PreferredAddress
                or TransportParameterId.RetrySourceConnectionId)
            {
                error = $"server-only parameter 0x{id:x} sent by a client";
                return false;
            }

            error = ReadOne(known, value, ref p);
            if (error.Length > 0)
            {
                return false;
            }
        }

        parameters = p.Build();
        error = string.Empty;
        return true;
    }

    private static string ReadOne(TransportParameterId id, ReadOnlySpan<byte> value, ref Builder p)
    {
        switch (id)
        {
            case TransportParameterId.OriginalDestinationConnectionId:
                return TryConnectionId(value, id, out p.OriginalDestinationConnectionId);
            case TransportParameterId.InitialSourceConnectionId:
                return TryConnectionId(value, id, out p.InitialSourceConnectionId);
            case TransportParameterId.RetrySourceConnectionId:
                return TryConnectionId(value, id, out p.RetrySourceConnectionId);
            case TransportParameterId.StatelessResetToken:
                if (value.Length != StatelessResetTokenLength)
                {
                    return "stateless_reset_token is not 16 bytes";
                }

                p.StatelessResetToken = value.ToArray();
                return string.Empty;
            case TransportParameterId.DisableActiveMigration:
                if (!value.IsEmpty)
                {
                    return "disable_active_migration is not empty";
                }

                p.DisableActiveMigration = true;
                return string.Empty;
            case TransportParameterId.PreferredAddress:
                if (value.Length < PreferredAddressFixedLength)
                {
                    return "preferred_address too short";
                }

                int cidLength = value[4 + 2 + 16 + 2];
                if (cidLength is 0 or > MaxConnectionIdLength || value.Length != PreferredAddressFixedLength + cidLength)
                {
                    return "preferred_address has a bad connection ID length";
                }

                p.PreferredAddress = value.ToArray();
                return string.Empty;
        }

        if (!VarInt.TryRead(value, out ulong number, out int consumed) || consumed != value.Length)
        {
            return $"parameter 0x{(ulong)id:x} is not exactly one varint";
        }

        switch (id)
        {
            case TransportParameterId.MaxIdleTimeout: p.MaxIdleTimeout = number; break;
            case TransportParameterId.MaxUdpPayloadSize:
                if (number < 1200)
                {
                    return "max_udp_payload_size below 1200";
                }

                p.MaxUdpPayloadSize = number;
                break;
            case TransportParameterId.InitialMaxData: p.InitialMaxData = number; break;
            case TransportParameterId.InitialMaxStreamDataBidiLocal: p.InitialMaxStreamDataBidiLocal = number; break;
            case TransportParameterId.InitialMaxStreamDataBidiRemote: p.InitialMaxStreamDataBidiRemote = number; break;
            case TransportParameterId.InitialMaxStreamDataUni: p.InitialMaxStreamDataUni = number; break;
            case TransportParameterId.InitialMaxStreamsBidi or TransportParameterId.InitialMaxStreamsUni:
                if (number > 1UL << 60)
                {
                    return "initial_max_streams above 2^60";
                }

                if (id == TransportParameterId.InitialMaxStreamsBidi)
                {
                    p.InitialMaxStreamsBidi = number;
                }
                else
                {
                    p.InitialMaxStreamsUni = number;
                }

                break;
            case TransportParameterId.AckDelayExponent:
                if (number > 20)
                {
                    return "ack_delay_exponent above 20";
                }

                p.AckDelayExponent = number;
                break;
            case TransportParameterId.MaxAckDelay:
                if (number >= 1UL << 14)
                {
                    return "max_ack_delay not below 2^14";
                }

                p.MaxAckDelay = number;
                break;
            case TransportParameterId.ActiveConnectionIdLimit:
                if (number < 2)
                {
                    return "active_connection_id_limit below 2";
                }

                p.ActiveConnectionIdLimit = number;
                break;
            case TransportParameterId.MaxDatagramFrameSize: p.MaxDatagramFrameSize = number; break;
            default: break;
        }

        return string.Empty;
    }

    private static string TryConnectionId(ReadOnlySpan<byte> value, TransportParameterId id, out byte[]? cid)
    {
        cid = value.Length <= MaxConnectionIdLength ? value.ToArray() : null;
        return cid is null ? $"connection ID parameter 0x{(ulong)id:x} longer than 20 bytes" : string.Empty;
    }

    /// <summary>Encoded size of everything <see cref="Write"/> emits (non-default values only).</summary>
    public int GetLength()
    {
        int length = 0;
        foreach (Entry entry in Entries())
        {
            int valueLength = entry.Bytes is { } bytes ? bytes.Length : entry.Flag ? 0 : VarInt.GetLength(entry.Number);
            length += VarInt.GetLength((ulong)entry.Id) + VarInt.GetLength((ulong)valueLength) + valueLength;
        }

        return length;
    }

    /// <summary>Writes every parameter that differs from its default, in identifier order.</summary>
    public void Write(ref SpanWriter writer)
    {
        foreach (Entry entry in Entries())
        {
            writer.WriteVarint((ulong)entry.Id);
            if (entry.Bytes is { } bytes)
            {
                writer.WriteVarint((ulong)bytes.Length);
                writer.WriteBytes(bytes);
            }
            else if (entry.Flag)
            {
                writer.WriteVarint(0);
            }
            else
            {
                writer.WriteVarint((ulong)VarInt.GetLength(entry.Number));
                writer.WriteVarint(entry.Number);
            }
        }
    }

    private readonly record struct Entry(TransportParameterId Id, ulong Number, byte[]? Bytes, bool Flag);

    private List<Entry> Entries()
    {
        var entries = new List<Entry>(18);
        AddBytes(entries, TransportParameterId.OriginalDestinationConnectionId, OriginalDestinationConnectionId);
        AddNumber(entries, TransportParameterId.MaxIdleTimeout, MaxIdleTimeout, 0);
        AddBytes(entries, TransportParameterId.StatelessResetToken, StatelessResetToken);
        AddNumber(entries, TransportParameterId.MaxUdpPayloadSize, MaxUdpPayloadSize, DefaultMaxUdpPayloadSize);
        AddNumber(entries, TransportParameterId.InitialMaxData, InitialMaxData, 0);
        AddNumber(entries, TransportParameterId.InitialMaxStreamDataBidiLocal, InitialMaxStreamDataBidiLocal, 0);
        AddNumber(entries, TransportParameterId.InitialMaxStreamDataBidiRemote, InitialMaxStreamDataBidiRemote, 0);
        AddNumber(entries, TransportParameterId.InitialMaxStreamDataUni, InitialMaxStreamDataUni, 0);
        AddNumber(entries, TransportParameterId.InitialMaxStreamsBidi, InitialMaxStreamsBidi, 0);
        AddNumber(entries, TransportParameterId.InitialMaxStreamsUni, InitialMaxStreamsUni, 0);
        AddNumber(entries, TransportParameterId.AckDelayExponent, AckDelayExponent, DefaultAckDelayExponent);
        AddNumber(entries, TransportParameterId.MaxAckDelay, MaxAckDelay, DefaultMaxAckDelay);
        if (DisableActiveMigration)
        {
            entries.Add(new Entry(TransportParameterId.DisableActiveMigration, 0, null, true));
        }

        AddBytes(entries, TransportParameterId.PreferredAddress, PreferredAddress);
        AddNumber(entries, TransportParameterId.ActiveConnectionIdLimit, ActiveConnectionIdLimit, DefaultActiveConnectionIdLimit);
        AddBytes(entries, TransportParameterId.InitialSourceConnectionId, InitialSourceConnectionId);
        AddBytes(entries, TransportParameterId.RetrySourceConnectionId, RetrySourceConnectionId);
        AddNumber(entries, TransportParameterId.MaxDatagramFrameSize, MaxDatagramFrameSize, 0);
        return entries;
    }

    private static void AddNumber(List<Entry> entries, TransportParameterId id, ulong value, ulong defaultValue)
    {
        if (value != defaultValue)
        {
            entries.Add(new Entry(id, value, null, false));
        }
    }

    private static void AddBytes(List<Entry> entries, TransportParameterId id, byte[]? value)
    {
        if (value is not null)
        {
            entries.Add(new Entry(id, 0, value, false));
        }
    }

    /// <summary>Mutable fields filled while parsing.</summary>
    private struct Builder
    {
        public byte[]? OriginalDestinationConnectionId;
        public ulong MaxIdleTimeout;
        public byte[]? StatelessResetToken;
        public ulong? MaxUdpPayloadSize;
        public ulong InitialMaxData;
        public ulong InitialMaxStreamDataBidiLocal;
        public ulong InitialMaxStreamDataBidiRemote;
        public ulong InitialMaxStreamDataUni;
        public ulong InitialMaxStreamsBidi;
        public ulong InitialMaxStreamsUni;
        public ulong? AckDelayExponent;
        public ulong? MaxAckDelay;
        public bool DisableActiveMigration;
        public byte[]? PreferredAddress;
        public ulong? ActiveConnectionIdLimit;
        public byte[]? InitialSourceConnectionId;
        public byte[]? RetrySourceConnectionId;
        public ulong MaxDatagramFrameSize;

        public readonly TransportParameters Build() => new()
        {
            OriginalDestinationConnectionId = OriginalDestinationConnectionId,
            MaxIdleTimeout = MaxIdleTimeout,
            StatelessResetToken = StatelessResetToken,
            MaxUdpPayloadSize = MaxUdpPayloadSize ?? DefaultMaxUdpPayloadSize,
            InitialMaxData = InitialMaxData,
            InitialMaxStreamDataBidiLocal = InitialMaxStreamDataBidiLocal,
            InitialMaxStreamDataBidiRemote = InitialMaxStreamDataBidiRemote,
            InitialMaxStreamDataUni = InitialMaxStreamDataUni,
            InitialMaxStreamsBidi = InitialMaxStreamsBidi,
            InitialMaxStreamsUni = InitialMaxStreamsUni,
            AckDelayExponent = AckDelayExponent ?? DefaultAckDelayExponent,
            MaxAckDelay = MaxAckDelay ?? DefaultMaxAckDelay,
            DisableActiveMigration = DisableActiveMigration,
            PreferredAddress = PreferredAddress,
            ActiveConnectionIdLimit = ActiveConnectionIdLimit ?? DefaultActiveConnectionIdLimit,
            InitialSourceConnectionId = InitialSourceConnectionId,
            RetrySourceConnectionId = RetrySourceConnectionId,
            MaxDatagramFrameSize = MaxDatagramFrameSize,
        };
    }
}
