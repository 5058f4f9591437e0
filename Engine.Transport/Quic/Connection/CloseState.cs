using System.Text;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Connection;

/// <summary>
/// Our side of closing a connection (RFC 9000 §10.2): the CONNECTION_CLOSE we send, whether it
/// is owed again (a closing endpoint answers incoming packets with it), and when the closing or
/// draining period ends. The connection owns the state machine; this owns the frame.
/// </summary>
internal sealed class CloseState
{
    /// <summary>Longest reason phrase we put in CONNECTION_CLOSE.</summary>
    private const int MaxReasonBytes = 256;

    private ulong _errorCode;
    private ulong _frameType;
    private bool _isApplication;
    private string _reason = string.Empty;
    private byte[]? _reasonBytes;

    /// <summary>A CONNECTION_CLOSE is owed: on entering the closing state, and again for packets arriving while closing.</summary>
    public bool FramePending { get; set; }

    /// <summary>When the closing or draining period ends (three PTOs after it began).</summary>
    public TimeSpan Deadline { get; set; }

    /// <summary>Remembers what to close with and owes the first CONNECTION_CLOSE.</summary>
    public void Enter(QuicCloseInfo info, bool isApplication)
    {
        _errorCode = info.ErrorCode;
        _frameType = info.FrameType;
        _isApplication = isApplication;
        _reason = info.Reason;
        FramePending = true;
    }

    /// <summary>Writes the CONNECTION_CLOSE for a packet of <paramref name="space"/>, without its reason if that does not fit.</summary>
    public void WriteFrame(ref SpanWriter writer, QuicPacketSpace space)
    {
        // An application close must not reveal application state before the handshake is
        // confirmed, so outside 1-RTT it becomes APPLICATION_ERROR (RFC 9000 §10.2.3).
        bool application = _isApplication && space == QuicPacketSpace.ApplicationData;
        ulong code = _isApplication && !application ? (ulong)QuicTransportErrorCode.ApplicationError : _errorCode;
        _reasonBytes ??= new byte[MaxReasonBytes];
        Span<byte> reason = _reasonBytes;
        int reasonLength = 0;
        if (application || !_isApplication)
        {
            reasonLength = Encoding.UTF8.GetBytes(_reason.AsSpan(0, Math.Min(_reason.Length, MaxReasonBytes / 4)), reason);
        }

        var frame = new ConnectionCloseFrame(application, code, application ? 0 : _frameType, reason[..reasonLength]);
        if (frame.GetLength() > writer.Remaining)
        {
            frame = new ConnectionCloseFrame(application, code, application ? 0 : _frameType, []);
        }

        frame.Write(ref writer);
    }
}
