namespace Engine.Transport.Http3;

/// <summary>HTTP/3 frame types (RFC 9114 §7.2, §11.2.1). Any other value is unknown and is skipped.</summary>
internal enum Http3FrameType : ulong
{
    /// <summary>DATA: request/response body bytes; streamed, never buffered whole.</summary>
    Data = 0x0,

    /// <summary>HEADERS: a QPACK-encoded field section.</summary>
    Headers = 0x1,

    /// <summary>Reserved: HTTP/2 PRIORITY. Receipt is H3_FRAME_UNEXPECTED.</summary>
    ReservedHttp2Priority = 0x2,

    /// <summary>CANCEL_PUSH (control stream): a push ID.</summary>
    CancelPush = 0x3,

    /// <summary>SETTINGS (control stream, first frame, once).</summary>
    Settings = 0x4,

    /// <summary>PUSH_PROMISE (request stream, server to client).</summary>
    PushPromise = 0x5,

    /// <summary>Reserved: HTTP/2 PING. Receipt is H3_FRAME_UNEXPECTED.</summary>
    ReservedHttp2Ping = 0x6,

    /// <summary>GOAWAY (control stream): a stream ID (from a server) or push ID (from a client).</summary>
    GoAway = 0x7,

    /// <summary>Reserved: HTTP/2 WINDOW_UPDATE. Receipt is H3_FRAME_UNEXPECTED.</summary>
    ReservedHttp2WindowUpdate = 0x8,

    /// <summary>Reserved: HTTP/2 CONTINUATION. Receipt is H3_FRAME_UNEXPECTED.</summary>
    ReservedHttp2Continuation = 0x9,

    /// <summary>MAX_PUSH_ID (control stream, client to server).</summary>
    MaxPushId = 0xd,

    /// <summary>
    /// WEBTRANSPORT_STREAM (draft-ietf-webtrans-http3): not a real frame but a signal at the very
    /// start of a bidirectional stream, followed by the session ID varint (where a frame's length
    /// would be) and then raw stream data. Callers must check for it before treating the stream
    /// as a request stream; the parsers here do not give it any special meaning.
    /// </summary>
    WebTransportStream = 0x41,
}

/// <summary>Classification helpers for frame type values as they arrive on the wire.</summary>
internal static class Http3FrameTypes
{
    /// <summary>HTTP/2 frame types reserved in HTTP/3 (0x2, 0x6, 0x8, 0x9): H3_FRAME_UNEXPECTED wherever they appear.</summary>
    public static bool IsReservedHttp2(ulong type) => type is 0x2 or 0x6 or 0x8 or 0x9;

    /// <summary>Frame types HTTP/3 defines (excluding the reserved HTTP/2 ones and WEBTRANSPORT_STREAM).</summary>
    public static bool IsKnown(ulong type) => type is 0x0 or 0x1 or 0x3 or 0x4 or 0x5 or 0x7 or 0xd;

    /// <summary>
    /// Frames whose whole payload a receiver needs before it can act: HEADERS, CANCEL_PUSH,
    /// SETTINGS, PUSH_PROMISE, GOAWAY, MAX_PUSH_ID. DATA and unknown frames are streamed or skipped.
    /// </summary>
    public static bool IsBuffered(ulong type) => type is 0x1 or 0x3 or 0x4 or 0x5 or 0x7 or 0xd;

    /// <summary>Frames whose payload is exactly one varint: CANCEL_PUSH, GOAWAY, MAX_PUSH_ID.</summary>
    public static bool IsSingleVarint(ulong type) => type is 0x3 or 0x7 or 0xd;
}
