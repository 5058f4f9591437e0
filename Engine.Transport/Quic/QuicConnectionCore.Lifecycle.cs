using System.Text;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    private TimeSpan _idleDeadline;
    private TimeSpan _peerIdleTimeout;
    private bool _ackElicitingSentSinceReceive;
    private TimeSpan _lastAckElicitingSent;
    private bool _keepAlivePending;
    private readonly CloseState _close = new();

    /// <summary>
    /// The earliest time <see cref="HandleTimeout"/> has work to do (loss detection, a delayed ACK,
    /// the idle timeout or the end of the closing period); null when nothing is scheduled.
    /// </summary>
    public TimeSpan? PollTimeout()
    {
        switch (_state)
        {
            case ConnectionState.Closed:
                return null;
            case ConnectionState.Closing or ConnectionState.Draining:
                return _close.Deadline;
        }

        TimeSpan earliest = _idleDeadline;
        if (_recovery.LossDetectionTimer is { } lossTimer && lossTimer < earliest)
        {
            earliest = lossTimer;
        }

        if (KeepAliveDeadline() is { } keepAlive && keepAlive < earliest)
        {
            earliest = keepAlive;
        }

        if (_spaces.EarliestAckDeadline() is { } ackDeadline && ackDeadline < earliest)
        {
            earliest = ackDeadline;
        }

        return earliest;
    }

    /// <summary>Runs whatever timers have expired at <paramref name="now"/>; then poll for transmits and events.</summary>
    public void HandleTimeout(TimeSpan now)
    {
        switch (_state)
        {
            case ConnectionState.Closed:
                return;
            case ConnectionState.Closing or ConnectionState.Draining:
                if (now >= _close.Deadline)
                {
                    _state = ConnectionState.Closed;
                }

                return;
        }

        if (now >= _idleDeadline)
        {
            // RFC 9000 §10.1: an idle timeout closes silently.
            CloseInfo = new QuicCloseInfo(QuicCloseOrigin.IdleTimeout, 0, 0, "idle timeout");
            _state = ConnectionState.Closed;
            Emit(QuicConnectionEventKind.Closed);
            return;
        }

        if (_recovery.LossDetectionTimer is { } lossTimer && now >= lossTimer)
        {
            _recovery.OnLossDetectionTimeout(now, this);
        }

        if (KeepAliveDeadline() is { } keepAlive && now >= keepAlive)
        {
            _keepAlivePending = true;
        }

        // Delayed ACKs that fell due are picked up by PollTransmit.
    }

    private TimeSpan? KeepAliveDeadline() =>
        _state == ConnectionState.Established && _options.KeepAliveInterval is { } interval && !_keepAlivePending
            ? _lastAckElicitingSent + interval
            : null;

    /// <summary>
    /// Closes the connection with an application error code (CONNECTION_CLOSE type 0x1d). The
    /// connection sends the close, then lingers for three PTOs to answer stray packets.
    /// </summary>
    public void Close(ulong applicationErrorCode, string reason, TimeSpan now)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(applicationErrorCode, VarInt.MaxValue);
        ArgumentNullException.ThrowIfNull(reason);
        if (_state >= ConnectionState.Closing)
        {
            return;
        }

        EnterClosing(new QuicCloseInfo(QuicCloseOrigin.LocalApplication, applicationErrorCode, 0, reason), isApplication: true, now);
        Touch();
    }

    /// <summary>
    /// Closes with INTERNAL_ERROR after a bug in our own code surfaced while handling input; the
    /// endpoint calls it so one connection's failure never reaches the process or other peers.
    /// </summary>
    internal void AbortWithInternalError(Exception exception, TimeSpan now)
    {
        if (_state >= ConnectionState.Closing)
        {
            _state = ConnectionState.Closed;
            return;
        }

        CloseWithTransportError(QuicTransportErrorCode.InternalError, 0, $"internal error: {exception.GetType().Name}", now);
    }

    private void CloseWithTransportError(QuicTransportErrorCode error, ulong frameType, string reason, TimeSpan now)
    {
        if (_state >= ConnectionState.Closing)
        {
            return;
        }

        EnterClosing(new QuicCloseInfo(QuicCloseOrigin.LocalTransportError, (ulong)error, frameType, reason), isApplication: false, now);
    }

    private void EnterClosing(QuicCloseInfo info, bool isApplication, TimeSpan now)
    {
        CloseInfo = info;
        _close.Enter(info, isApplication);
        _state = ConnectionState.Closing;
        _close.Deadline = now + (3 * _recovery.ProbeTimeout());
        Emit(QuicConnectionEventKind.Closed);
    }

    private void OnPeerClose(scoped ConnectionCloseFrame frame, TimeSpan now)
    {
        if (_state >= ConnectionState.Closing)
        {
            return;
        }

        string reason = Encoding.UTF8.GetString(frame.ReasonPhrase);
        CloseInfo = new QuicCloseInfo(
            frame.IsApplicationError ? QuicCloseOrigin.PeerApplication : QuicCloseOrigin.PeerTransport,
            frame.ErrorCode,
            frame.FrameType,
            reason);
        _state = ConnectionState.Draining; // RFC 9000 §10.2.2
        _close.Deadline = now + (3 * _recovery.ProbeTimeout());
        Emit(QuicConnectionEventKind.Closed);
    }

    private TimeSpan HandshakeIdleTimeout() => _options.IdleTimeout > TimeSpan.Zero ? _options.IdleTimeout : TimeSpan.FromSeconds(30);

    /// <summary>The negotiated idle timeout (the smaller non-zero value), at least three PTOs (RFC 9000 §10.1).</summary>
    private TimeSpan IdleTimeoutWithFloor()
    {
        TimeSpan local = _options.IdleTimeout;
        TimeSpan idle = local == TimeSpan.Zero ? _peerIdleTimeout
            : _peerIdleTimeout == TimeSpan.Zero ? local
            : local < _peerIdleTimeout ? local : _peerIdleTimeout;
        if (idle == TimeSpan.Zero)
        {
            idle = TimeSpan.FromDays(365); // both disabled the idle timeout
        }

        TimeSpan floor = 3 * _recovery.ProbeTimeout();
        return idle > floor ? idle : floor;
    }
}
