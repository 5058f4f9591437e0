using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// The meaning of a SETTINGS frame. Each known setting is null when absent (the RFC default then
/// applies; see the Effective… members); every other identifier, GREASE included, is kept in
/// <see cref="Other"/> in wire order so nothing received is lost.
/// </summary>
internal sealed record Http3Settings
{
    public ulong? QPackMaxTableCapacity { get; init; }

    public ulong? MaxFieldSectionSize { get; init; }

    public ulong? QPackBlockedStreams { get; init; }

    public bool? EnableConnectProtocol { get; init; }

    public bool? H3Datagram { get; init; }

    /// <summary>ENABLE_WEBTRANSPORT (draft-02, 0x2b603742).</summary>
    public bool? EnableWebTransport { get; init; }

    /// <summary>WEBTRANSPORT_MAX_SESSIONS (draft-07, 0xc671706a). Parsed if a peer sends it; never sent by the server.</summary>
    public ulong? WebTransportMaxSessions { get; init; }

    /// <summary>Unknown and GREASE settings, in the order received or to be written after the known ones.</summary>
    public IReadOnlyList<Http3Setting> Other { get; init; } = [];

    /// <summary>QPACK dynamic table capacity the peer allows (default 0).</summary>
    public ulong EffectiveQPackMaxTableCapacity => QPackMaxTableCapacity ?? 0;

    /// <summary>Largest field section the peer accepts (default unlimited).</summary>
    public ulong EffectiveMaxFieldSectionSize => MaxFieldSectionSize ?? ulong.MaxValue;

    /// <summary>QPACK blocked streams the peer allows (default 0).</summary>
    public ulong EffectiveQPackBlockedStreams => QPackBlockedStreams ?? 0;

    /// <summary>The peer speaks WebTransport draft-02 over HTTP/3: ENABLE_WEBTRANSPORT = 1 and H3_DATAGRAM = 1.</summary>
    public bool SupportsWebTransportDraft02 => EnableWebTransport == true && H3Datagram == true;

    /// <summary>
    /// The settings Engine's server sends to Chromium: QPACK table capacity 0 and blocked streams 0
    /// (no dynamic table), extended CONNECT, H3 datagrams, WebTransport draft-02, the given
    /// MAX_FIELD_SECTION_SIZE, and one GREASE setting. Never WEBTRANSPORT_MAX_SESSIONS (that
    /// would switch Chromium to draft-07).
    /// </summary>
    /// <param name="maxFieldSectionSize">The largest field section the server accepts.</param>
    /// <param name="random">Picks the GREASE identifier (8-byte varint) and value; a shared instance if null.</param>
    public static Http3Settings CreateServer(ulong maxFieldSectionSize, Random? random = null)
    {
        random ??= Random.Shared;
        return new Http3Settings
        {
            QPackMaxTableCapacity = 0,
            MaxFieldSectionSize = maxFieldSectionSize,
            QPackBlockedStreams = 0,
            EnableConnectProtocol = true,
            H3Datagram = true,
            EnableWebTransport = true,
            Other = [new Http3Setting(Http3Grease.NextEightByte(random), (ulong)random.Next(0, 1 << 14))],
        };
    }

    /// <summary>
    /// The server's SETTINGS frame bytes (<see cref="CreateServer"/> written as a frame), ready
    /// to follow the control stream type byte 0x00.
    /// </summary>
    public static byte[] BuildServerSettingsFrame(ulong maxFieldSectionSize, Random? random = null) =>
        CreateServer(maxFieldSectionSize, random).ToFrameBytes();

    /// <summary>
    /// Interprets a validated SETTINGS list. ENABLE_CONNECT_PROTOCOL, H3_DATAGRAM and
    /// ENABLE_WEBTRANSPORT must be 0 or 1, else <see cref="Http3ErrorCode.SettingsError"/>.
    /// Returns <see cref="Http3ErrorCode.NoError"/> on success.
    /// </summary>
    public static Http3ErrorCode TryCreate(Http3SettingsFrame frame, out Http3Settings settings)
    {
        settings = new Http3Settings();
        var other = new List<Http3Setting>();
        Http3Settings result = settings;
        foreach (Http3Setting setting in frame.Settings)
        {
            ulong value = setting.Value;
            switch ((Http3SettingId)setting.Id)
            {
                case Http3SettingId.QPackMaxTableCapacity:
                    result = result with { QPackMaxTableCapacity = value };
                    break;
                case Http3SettingId.MaxFieldSectionSize:
                    result = result with { MaxFieldSectionSize = value };
                    break;
                case Http3SettingId.QPackBlockedStreams:
                    result = result with { QPackBlockedStreams = value };
                    break;
                case Http3SettingId.WebTransportMaxSessions:
                    result = result with { WebTransportMaxSessions = value };
                    break;
                case Http3SettingId.EnableConnectProtocol when value <= 1:
                    result = result with { EnableConnectProtocol = value == 1 };
                    break;
                case Http3SettingId.H3Datagram when value <= 1:
                    result = result with { H3Datagram = value == 1 };
                    break;
                case Http3SettingId.EnableWebTransport when value <= 1:
                    result = result with { EnableWebTransport = value == 1 };
                    break;
                case Http3SettingId.EnableConnectProtocol or Http3SettingId.H3Datagram or Http3SettingId.EnableWebTransport:
                    return Http3ErrorCode.SettingsError;
                default:
                    other.Add(setting);
                    break;
            }
        }

        settings = result with { Other = other };
        return Http3ErrorCode.NoError;
    }

    /// <summary>Parses and interprets a SETTINGS payload (see <see cref="Http3SettingsFrame.TryReadPayload"/> and <see cref="TryCreate"/>).</summary>
    public static Http3ErrorCode TryParsePayload(ReadOnlySpan<byte> payload, out Http3Settings settings)
    {
        settings = new Http3Settings();
        Http3ErrorCode error = Http3SettingsFrame.TryReadPayload(payload, out Http3SettingsFrame frame);
        return error != Http3ErrorCode.NoError ? error : TryCreate(frame, out settings);
    }

    /// <summary>The settings as a wire list: present known settings in identifier order, then <see cref="Other"/>.</summary>
    public Http3SettingsFrame ToFrame()
    {
        var list = new List<Http3Setting>(8 + Other.Count);
        Add(list, Http3SettingId.QPackMaxTableCapacity, QPackMaxTableCapacity);
        Add(list, Http3SettingId.MaxFieldSectionSize, MaxFieldSectionSize);
        Add(list, Http3SettingId.QPackBlockedStreams, QPackBlockedStreams);
        Add(list, Http3SettingId.EnableConnectProtocol, ToValue(EnableConnectProtocol));
        Add(list, Http3SettingId.H3Datagram, ToValue(H3Datagram));
        Add(list, Http3SettingId.EnableWebTransport, ToValue(EnableWebTransport));
        Add(list, Http3SettingId.WebTransportMaxSessions, WebTransportMaxSessions);
        list.AddRange(Other);
        return new Http3SettingsFrame(list);
    }

    /// <summary>The whole SETTINGS frame, header included.</summary>
    public byte[] ToFrameBytes()
    {
        Http3SettingsFrame frame = ToFrame();
        var bytes = new byte[frame.GetLength()];
        var writer = new SpanWriter(bytes);
        frame.Write(ref writer);
        return bytes;
    }

    public bool Equals(Http3Settings? other) =>
        other is not null
        && QPackMaxTableCapacity == other.QPackMaxTableCapacity
        && MaxFieldSectionSize == other.MaxFieldSectionSize
        && QPackBlockedStreams == other.QPackBlockedStreams
        && EnableConnectProtocol == other.EnableConnectProtocol
        && H3Datagram == other.H3Datagram
        && EnableWebTransport == other.EnableWebTransport
        && WebTransportMaxSessions == other.WebTransportMaxSessions
        && Other.SequenceEqual(other.Other);

    public override int GetHashCode() =>
        HashCode.Combine(QPackMaxTableCapacity, MaxFieldSectionSize, QPackBlockedStreams, EnableConnectProtocol, H3Datagram, EnableWebTransport, WebTransportMaxSessions, Other.Count);

    private static ulong? ToValue(bool? flag) => flag is null ? null : flag.Value ? 1UL : 0UL;

    private static void Add(List<Http3Setting> list, Http3SettingId id, ulong? value)
    {
        if (value is ulong present)
        {
            list.Add(new Http3Setting(id, present));
        }
    }
}
