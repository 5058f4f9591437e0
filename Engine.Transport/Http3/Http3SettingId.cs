namespace Engine.Transport.Http3;

/// <summary>
/// SETTINGS identifiers this stack knows (RFC 9114 §7.2.4.1, RFC 9204 §5, RFC 9220, RFC 9297,
/// draft-ietf-webtrans-http3). Other identifiers, GREASE included, are ignored by receivers.
/// </summary>
internal enum Http3SettingId : ulong
{
    /// <summary>SETTINGS_QPACK_MAX_TABLE_CAPACITY (RFC 9204); default 0.</summary>
    QPackMaxTableCapacity = 0x01,

    /// <summary>SETTINGS_MAX_FIELD_SECTION_SIZE; default unlimited.</summary>
    MaxFieldSectionSize = 0x06,

    /// <summary>SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204); default 0.</summary>
    QPackBlockedStreams = 0x07,

    /// <summary>SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 9220): 0 or 1.</summary>
    EnableConnectProtocol = 0x08,

    /// <summary>SETTINGS_H3_DATAGRAM (RFC 9297): 0 or 1.</summary>
    H3Datagram = 0x33,

    /// <summary>H3_DATAGRAM of draft-ietf-masque-h3-datagram-04, still sent by Chromium; treated as unknown.</summary>
    H3DatagramDraft04 = 0xffd277,

    /// <summary>SETTINGS_ENABLE_WEBTRANSPORT (WebTransport draft-02): 0 or 1. Needs a 4-byte varint.</summary>
    EnableWebTransport = 0x2b603742,

    /// <summary>
    /// SETTINGS_WEBTRANSPORT_MAX_SESSIONS (WebTransport draft-07). Needs an 8-byte varint. Never
    /// sent by this server: it switches Chromium to draft-07.
    /// </summary>
    WebTransportMaxSessions = 0xc671706a,
}

/// <summary>One (identifier, value) pair of a SETTINGS frame, known or not.</summary>
internal readonly record struct Http3Setting(ulong Id, ulong Value)
{
    public Http3Setting(Http3SettingId id, ulong value)
        : this((ulong)id, value)
    {
    }

    /// <summary>HTTP/2 setting identifiers reserved in HTTP/3 (0x00, 0x02–0x05): H3_SETTINGS_ERROR on receipt.</summary>
    public static bool IsReservedHttp2(ulong id) => id is 0x00 or 0x02 or 0x03 or 0x04 or 0x05;
}
