using System.Net.WebSockets;
using Engine.Transport.Abstractions;

namespace Engine.Transport.WebSockets;

public sealed partial class WebSocketTransportSession
{
    private enum CloseKind
    {
        /// <summary>Write the queued reliable messages, then exchange close frames.</summary>
        FlushThenClose,

        /// <summary>Drop the queue, let the send in flight finish, then exchange close frames.</summary>
        DiscardThenClose,

        /// <summary>Tear the connection down without a close frame.</summary>
        Abort,
    }

    /// <summary>
    /// Closes the session: queued reliable messages are written first (within
    /// <see cref="WebSocketSessionOptions.CloseTimeout"/>), then a close frame with
    /// <paramref name="code"/> and <paramref name="reason"/> (cut to 123 UTF-8 bytes on the wire)
    /// is sent and the peer's answer awaited (again within the timeout); the connection is aborted
    /// when either phase runs out. The first close wins; later calls wait for it to finish.
    /// </summary>
    /// <param name="code">A code that may appear in a close frame (1000–1003, 1007–1014, 3000–4999).</param>
    /// <param name="reason">Why, for the peer and the logs. <see cref="CloseInfo"/> keeps it whole.</param>
    /// <param name="cancellationToken">Stops waiting; the close itself still completes in the background.</param>
    public ValueTask CloseAsync(SessionCloseCode code, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (!IsSendableCloseCode((int)code))
        {
            throw new ArgumentOutOfRangeException(
                nameof(code),
                $"{(int)code} cannot be sent in a WebSocket close frame; use 1000-1003, 1007-1014 or 3000-4999.");
        }

        TryBeginClose(new SessionCloseInfo(code, reason, ByPeer: false), CloseKind.FlushThenClose);
        return new ValueTask(_closeCompleted.Task.WaitAsync(cancellationToken));
    }

    private static bool IsSendableCloseCode(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    private static SessionCloseInfo ConnectionLost(string activity) =>
        new(SessionCloseCode.GoingAway, $"connection lost while {activity}", ByPeer: true);

    /// <summary>
    /// Marks the session closed if it is still open and starts the close in the background.
    /// Never blocks: everything slow happens after the close task's first await.
    /// </summary>
    /// <returns>True when this call closed the session; false when it was already closed.</returns>
    private bool TryBeginClose(SessionCloseInfo info, CloseKind kind, bool receiveCancelledByCaller = false)
    {
        lock (_gate)
        {
            if (_closeInfo is not null)
            {
                return false;
            }

            Volatile.Write(ref _closeInfo, info);
            _receiveCancelledByCaller = receiveCancelledByCaller;
            _writerMode = kind == CloseKind.FlushThenClose ? WriterMode.Drain : WriterMode.Stop;
            foreach (DatagramSlot slot in _datagramSlots)
            {
                slot.DropPending();
            }

            if (kind != CloseKind.FlushThenClose)
            {
                _reliableQueue.Clear();
            }
        }

        _ = RunCloseAsync(info, kind);
        return true;
    }

    private async Task RunCloseAsync(SessionCloseInfo info, CloseKind kind)
    {
        try
        {
            // Logged before Closed fires, so whoever reacts to Closed finds the log line written.
            if (info.Code == SessionCloseCode.SlowConsumer && !info.ByPeer)
            {
                WebSocketSessionLog.SlowConsumer(_logger, Id, _reliableQueue.Capacity);
            }

            WebSocketSessionLog.Closing(_logger, Id, info.Code, (int)info.Code, info.ByPeer, info.Reason);

            // Sets IsCancellationRequested now; runs the callbacks on the thread pool, so a close that
            // starts inside TrySendReliable never runs the host's callbacks on the caller's thread.
            _ = ObserveClosedCallbacksAsync(_closedSource.CancelAsync());

            if (kind == CloseKind.Abort)
            {
                AbortConnection();
                return;
            }

            _writerSignal.Set();

            // Leave the caller's thread (possibly a tick inside TrySendReliable) before any socket work.
            await Task.Yield();
            if (!await WriterStoppedWithinAsync(_options.CloseTimeout))
            {
                WebSocketSessionLog.FlushTimedOut(_logger, Id, _options.CloseTimeout);
                AbortConnection();
                return;
            }

            // A peer's close frame is answered with its own code, as RFC 6455 §5.5.1 suggests.
            string wireReason = info.ByPeer ? string.Empty : CloseFrameReason.Truncate(info.Reason);
            await ExchangeCloseFramesAsync((WebSocketCloseStatus)info.Code, wireReason);
        }
        catch (Exception exception)
        {
            WebSocketSessionLog.UnexpectedFailure(_logger, Id, "closing", exception);
            AbortConnection();
        }
        finally
        {
            _closeCompleted.TrySetResult();
        }
    }

    private async Task<bool> WriterStoppedWithinAsync(TimeSpan timeout)
    {
        try
        {
            await _writerTask.WaitAsync(timeout, _timeProvider);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task ExchangeCloseFramesAsync(WebSocketCloseStatus status, string reason)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            // Aborted or already closed: there is nobody to say goodbye to.
            return;
        }

        using var timeout = new CancellationTokenSource(_options.CloseTimeout, _timeProvider);
        try
        {
            // Sends the close frame, then reads until the peer's close frame arrives (or, when the
            // peer closed first, just answers it). A pending ReceiveAsync may read it instead.
            await _socket.CloseAsync(status, reason, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            WebSocketSessionLog.CloseHandshakeTimedOut(_logger, Id, _options.CloseTimeout);
            AbortConnection();
        }
        catch (Exception exception)
        {
            WebSocketSessionLog.CloseHandshakeFailed(_logger, Id, exception);
            AbortConnection();
        }
    }

    private async Task ObserveClosedCallbacksAsync(Task callbacks)
    {
        try
        {
            await callbacks;
        }
        catch (Exception exception)
        {
            WebSocketSessionLog.ClosedCallbackFailed(_logger, Id, exception);
        }
    }

    /// <summary>Ends the connection at once: cancels every socket call and stops the writer.</summary>
    private void AbortConnection()
    {
        try
        {
            _abortSource.Cancel();
        }
        catch (AggregateException exception)
        {
            WebSocketSessionLog.UnexpectedFailure(_logger, Id, "aborting", exception);
        }

        _socket.Abort();
        _writerSignal.Set();
    }

    private void LogFailure(Exception exception, string activity)
    {
        switch (exception)
        {
            case WebSocketException { WebSocketErrorCode: WebSocketError.Faulted }:
                WebSocketSessionLog.ProtocolViolation(_logger, Id, exception);
                break;
            case WebSocketException or IOException or OperationCanceledException or ObjectDisposedException:
                WebSocketSessionLog.ConnectionLost(_logger, Id, activity, exception);
                break;
            default:
                WebSocketSessionLog.UnexpectedFailure(_logger, Id, activity, exception);
                break;
        }
    }
}
