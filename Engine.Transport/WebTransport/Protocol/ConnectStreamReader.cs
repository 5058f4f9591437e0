using System.Text;
using System.Text.Unicode;
using Engine.Transport.Coding;
using Engine.Transport.Http3;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>What the peer said on a session's CONNECT stream.</summary>
internal enum ConnectStreamEventKind
{
    /// <summary>CLOSE_WEBTRANSPORT_SESSION: <see cref="ConnectStreamEvent.Code"/> and <see cref="ConnectStreamEvent.Reason"/> are set; the peer must FIN next.</summary>
    Close,

    /// <summary>DRAIN_WEBTRANSPORT_SESSION: the peer asks for the session to wind down.</summary>
    Drain,

    /// <summary>The stream ended cleanly (FIN at a frame and capsule boundary).</summary>
    Finished,

    /// <summary>The stream broke the protocol; <see cref="ConnectStreamEvent.ErrorCode"/> is an <see cref="Http3ErrorCode"/> to reset it (or close the connection) with.</summary>
    Error,
}

/// <summary>One event of a CONNECT stream, in arrival order.</summary>
internal readonly record struct ConnectStreamEvent(ConnectStreamEventKind Kind, uint Code = 0, string Reason = "", ulong ErrorCode = 0);

/// <summary>
/// Incremental, sans-IO reader of a WebTransport session's CONNECT stream after its HEADERS
/// frame, for either side. The stream carries HTTP/3 frames; the DATA payloads, concatenated, are
/// a capsule sequence (RFC 9297 §3.2) whose capsules may span DATA frames or share one. Unknown
/// frames and unknown capsules are streamed over without buffering; only CLOSE (≤ 4 + 1024
/// bytes) and DRAIN (empty) are held, so a peer cannot make us buffer much.
/// </summary>
/// <remarks>
/// Error codes (each ends the reader; later input is ignored):
/// <list type="bullet">
/// <item>HEADERS (trailers), a reserved HTTP/2 type or any other known non-DATA frame:
/// <see cref="Engine.Transport.Http3.Http3ErrorCode.FrameUnexpected"/>, a connection error (RFC 9114 §4.4:
/// after a CONNECT only DATA frames may follow; §7.2.8 for the reserved types).</item>
/// <item>FIN inside a frame header or payload (DATA or skipped): <see cref="Engine.Transport.Http3.Http3ErrorCode.FrameError"/>,
/// a connection error (RFC 9114 §7.1: the last frame was truncated).</item>
/// <item>FIN between frames but inside a capsule, a CLOSE shorter than its 4-byte code or longer
/// than 4 + 1024 bytes, a CLOSE reason that is not UTF-8, a non-empty DRAIN, or any byte after a
/// CLOSE: <see cref="Engine.Transport.Http3.Http3ErrorCode.MessageError"/>, a stream error. RFC 9297 §3.3
/// treats any capsule error, a capsule with bytes beyond or short of its fields, and a capsule
/// truncated by FIN as a malformed message, which HTTP/3 resets with H3_MESSAGE_ERROR (RFC 9114
/// §4.1.2); draft-02 §5 resets with H3_MESSAGE_ERROR a CONNECT stream carrying data after
/// CLOSE_WEBTRANSPORT_SESSION.</item>
/// </list>
/// </remarks>
internal sealed class ConnectStreamReader
{
    /// <summary>The largest CLOSE_WEBTRANSPORT_SESSION value: a u32 code and a 1024-byte reason.</summary>
    public const int MaxCloseCapsuleBytes = 4 + WebTransportCapsules.MaxReasonBytes;

    private const int HeaderCapacity = 2 * VarInt.MaxLength;

    private enum FrameState : byte { Header, Data, Skip }

    private enum CapsuleState : byte { Header, Buffer, Skip }

    private readonly byte[] _frameHeader = new byte[HeaderCapacity];
    private readonly byte[] _capsuleHeader = new byte[HeaderCapacity];
    private int _frameHeaderLength;
    private int _capsuleHeaderLength;
    private FrameState _frameState;
    private CapsuleState _capsuleState;
    private ulong _frameRemaining;
    private ulong _capsuleRemaining;
    private ulong _capsuleType;
    private byte[] _value = [];
    private int _valueFilled;
    private bool _closed;
    private bool _done;

    /// <summary>Unknown or GREASE capsules skipped whole (counted once their value has been streamed over).</summary>
    public long CapsulesSkipped { get; private set; }

    /// <summary>
    /// Consumes <paramref name="data"/> and appends the events it completes, in order.
    /// <paramref name="finished"/> means the stream's FIN came right after these bytes: at a clean
    /// boundary that is <see cref="ConnectStreamEventKind.Finished"/>, otherwise an error (see the
    /// remarks). After an Error or Finished event further input is ignored. After a Close event
    /// only the FIN may follow; any further byte is an error.
    /// </summary>
    public void Read(ReadOnlySpan<byte> data, bool finished, List<ConnectStreamEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        while (!data.IsEmpty && !_done)
        {
            if (_closed)
            {
                Fail(events, Http3ErrorCode.MessageError);
                return;
            }

            switch (_frameState)
            {
                case FrameState.Header:
                    data = data[FillHeader(_frameHeader, ref _frameHeaderLength, data, out bool complete)..];
                    if (complete)
                    {
                        OnFrameHeader(events);
                    }

                    break;
                default:
                    int take = _frameRemaining < (ulong)data.Length ? (int)_frameRemaining : data.Length;
                    if (_frameState == FrameState.Data)
                    {
                        ReadCapsules(data[..take], events);
                    }

                    data = data[take..];
                    _frameRemaining -= (ulong)take;
                    if (_frameRemaining == 0)
                    {
                        _frameState = FrameState.Header;
                    }

                    break;
            }
        }

        if (finished && !_done)
        {
            OnFin(events);
        }
    }

    private void OnFrameHeader(List<ConnectStreamEvent> events)
    {
        ReadOnlySpan<byte> header = _frameHeader.AsSpan(0, _frameHeaderLength);
        VarInt.TryRead(header, out ulong type, out int typeLength);
        VarInt.TryRead(header[typeLength..], out ulong length, out _);
        _frameHeaderLength = 0;

        if (type != (ulong)Http3FrameType.Data && (Http3FrameTypes.IsKnown(type) || Http3FrameTypes.IsReservedHttp2(type)))
        {
            Fail(events, Http3ErrorCode.FrameUnexpected);
            return;
        }

        _frameRemaining = length;
        _frameState = length == 0 ? FrameState.Header : type == (ulong)Http3FrameType.Data ? FrameState.Data : FrameState.Skip;
    }

    private void ReadCapsules(ReadOnlySpan<byte> data, List<ConnectStreamEvent> events)
    {
        while (!data.IsEmpty && !_done)
        {
            if (_closed)
            {
                Fail(events, Http3ErrorCode.MessageError);
                return;
            }

            switch (_capsuleState)
            {
                case CapsuleState.Header:
                    data = data[FillHeader(_capsuleHeader, ref _capsuleHeaderLength, data, out bool complete)..];
                    if (complete)
                    {
                        OnCapsuleHeader(events);
                    }

                    break;
                case CapsuleState.Buffer:
                    int copy = Math.Min(_value.Length - _valueFilled, data.Length);
                    data[..copy].CopyTo(_value.AsSpan(_valueFilled));
                    _valueFilled += copy;
                    data = data[copy..];
                    if (_valueFilled == _value.Length)
                    {
                        OnKnownCapsule(events);
                    }

                    break;
                default:
                    int skip = _capsuleRemaining < (ulong)data.Length ? (int)_capsuleRemaining : data.Length;
                    data = data[skip..];
                    _capsuleRemaining -= (ulong)skip;
                    if (_capsuleRemaining == 0)
                    {
                        CapsulesSkipped++;
                        _capsuleState = CapsuleState.Header;
                    }

                    break;
            }
        }
    }

    private void OnCapsuleHeader(List<ConnectStreamEvent> events)
    {
        ReadOnlySpan<byte> header = _capsuleHeader.AsSpan(0, _capsuleHeaderLength);
        VarInt.TryRead(header, out _capsuleType, out int typeLength);
        VarInt.TryRead(header[typeLength..], out ulong length, out _);
        _capsuleHeaderLength = 0;

        ulong limit = _capsuleType switch
        {
            WebTransportCapsules.CloseSession => MaxCloseCapsuleBytes,
            WebTransportCapsules.DrainSession => 0,
            _ => ulong.MaxValue,
        };

        if (limit == ulong.MaxValue)
        {
            _capsuleRemaining = length;
            _capsuleState = CapsuleState.Skip;
            if (length == 0)
            {
                CapsulesSkipped++;
                _capsuleState = CapsuleState.Header;
            }

            return;
        }

        if (length > limit || (_capsuleType == WebTransportCapsules.CloseSession && length < 4))
        {
            Fail(events, Http3ErrorCode.MessageError);
            return;
        }

        _value = length == 0 ? [] : new byte[(int)length];
        _valueFilled = 0;
        _capsuleState = CapsuleState.Buffer;
        if (length == 0)
        {
            OnKnownCapsule(events);
        }
    }

    private void OnKnownCapsule(List<ConnectStreamEvent> events)
    {
        _capsuleState = CapsuleState.Header;
        if (_capsuleType == WebTransportCapsules.DrainSession)
        {
            events.Add(new ConnectStreamEvent(ConnectStreamEventKind.Drain));
            return;
        }

        ReadOnlySpan<byte> value = _value;
        var reader = new SpanReader(value);
        reader.TryReadUInt32(out uint code);
        ReadOnlySpan<byte> reason = reader.ReadToEnd();
        _value = [];
        if (!Utf8.IsValid(reason))
        {
            Fail(events, Http3ErrorCode.MessageError);
            return;
        }

        events.Add(new ConnectStreamEvent(ConnectStreamEventKind.Close, code, Encoding.UTF8.GetString(reason)));
        _closed = true;
    }

    private void OnFin(List<ConnectStreamEvent> events)
    {
        if (_frameState != FrameState.Header || _frameHeaderLength > 0)
        {
            Fail(events, Http3ErrorCode.FrameError);
        }
        else if (_capsuleState != CapsuleState.Header || _capsuleHeaderLength > 0)
        {
            Fail(events, Http3ErrorCode.MessageError);
        }
        else
        {
            _done = true;
            events.Add(new ConnectStreamEvent(ConnectStreamEventKind.Finished));
        }
    }

    private void Fail(List<ConnectStreamEvent> events, Http3ErrorCode code)
    {
        _done = true;
        _value = [];
        events.Add(new ConnectStreamEvent(ConnectStreamEventKind.Error, ErrorCode: (ulong)code));
    }

    /// <summary>
    /// Copies into <paramref name="header"/> the bytes of a "varint, varint" header it still
    /// lacks, never more (the first byte of each varint gives its length); returns the bytes taken
    /// and whether both varints are now complete.
    /// </summary>
    private static int FillHeader(byte[] header, ref int length, ReadOnlySpan<byte> data, out bool complete)
    {
        int taken = 0;
        complete = false;
        while (taken < data.Length)
        {
            header[length++] = data[taken++];
            int firstLength = VarInt.GetEncodedLength(header[0]);
            if (length > firstLength && length == firstLength + VarInt.GetEncodedLength(header[firstLength]))
            {
                complete = true;
                break;
            }
        }

        return taken;
    }
}
