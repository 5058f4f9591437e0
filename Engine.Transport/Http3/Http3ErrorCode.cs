namespace Engine.Transport.Http3;

/// <summary>
/// HTTP/3 application error codes (RFC 9114 §8.1), carried in CONNECTION_CLOSE (0x1d),
/// RESET_STREAM and STOP_SENDING. <see cref="NoError"/> doubles as "success" for the parsers here.
/// </summary>
public enum Http3ErrorCode : ulong
{
    /// <summary>H3_NO_ERROR: no error; also what the parsers return on success.</summary>
    NoError = 0x100,

    /// <summary>H3_GENERAL_PROTOCOL_ERROR: a protocol violation no more specific code covers.</summary>
    GeneralProtocolError = 0x101,

    /// <summary>H3_INTERNAL_ERROR.</summary>
    InternalError = 0x102,

    /// <summary>H3_STREAM_CREATION_ERROR: the peer opened a stream that is not acceptable.</summary>
    StreamCreationError = 0x103,

    /// <summary>H3_CLOSED_CRITICAL_STREAM: a control or QPACK stream was closed or reset.</summary>
    ClosedCriticalStream = 0x104,

    /// <summary>H3_FRAME_UNEXPECTED: a frame not permitted in the current state or on this stream.</summary>
    FrameUnexpected = 0x105,

    /// <summary>H3_FRAME_ERROR: a frame whose layout or size is wrong.</summary>
    FrameError = 0x106,

    /// <summary>H3_EXCESSIVE_LOAD: the peer generates excessive load (here: a buffered frame too large).</summary>
    ExcessiveLoad = 0x107,

    /// <summary>H3_ID_ERROR: a stream or push ID used wrongly (e.g. an increasing GOAWAY ID).</summary>
    IdError = 0x108,

    /// <summary>H3_SETTINGS_ERROR: a SETTINGS frame with an invalid payload.</summary>
    SettingsError = 0x109,

    /// <summary>H3_MISSING_SETTINGS: the control stream did not start with SETTINGS.</summary>
    MissingSettings = 0x10a,

    /// <summary>H3_REQUEST_REJECTED: the request was not processed at all.</summary>
    RequestRejected = 0x10b,

    /// <summary>H3_REQUEST_CANCELLED: the request or its response is cancelled.</summary>
    RequestCancelled = 0x10c,

    /// <summary>H3_REQUEST_INCOMPLETE: the request stream ended before the request was complete.</summary>
    RequestIncomplete = 0x10d,

    /// <summary>H3_MESSAGE_ERROR: a malformed HTTP message.</summary>
    MessageError = 0x10e,

    /// <summary>H3_CONNECT_ERROR: a CONNECT tunnel was reset or closed abnormally.</summary>
    ConnectError = 0x10f,

    /// <summary>H3_VERSION_FALLBACK: retry the request over HTTP/1.1.</summary>
    VersionFallback = 0x110,
}
