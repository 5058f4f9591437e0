using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Engine.Transport.Abstractions;

namespace Engine.Transport.WebSockets;

public sealed partial class WebSocketTransportSession
{
    private static readonly Action<object?> OnReceiveCancelledCallback =
        static state => ((WebSocketTransportSession)state!).OnReceiveCancelled();

    /// <summary>
    /// Waits for the next whole binary message (fragments are joined). The payload lives in a
    /// session-owned buffer and is valid until the next call. Returns
    /// <see cref="TransportReceiveResult.Closed"/> once the session is closed or closing, including
    /// when the peer closed, the connection dropped, or the peer sent a text message (closes with
    /// 1003) or one above <see cref="WebSocketSessionOptions.MaxMessageBytes"/> (closes with 1009).
    /// </summary>
    /// <remarks>
    /// At most one call may be outstanding; a concurrent call throws
    /// <see cref="InvalidOperationException"/>. A WebSocket cannot abandon a half-read frame, so
    /// cancelling <paramref name="cancellationToken"/> while the session is open aborts the
    /// connection (closing the session with <see cref="SessionCloseCode.GoingAway"/>) and throws
    /// <see cref="OperationCanceledException"/>. A token that is cancelled because the session is
    /// closing (such as <see cref="Closed"/> itself) just ends the call with a closed result.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TransportReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        byte[]? buffer = EnterReceive();
        if (buffer is null)
        {
            return TransportReceiveResult.Closed;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            using CancellationTokenRegistration cancellation = cancellationToken.UnsafeRegister(OnReceiveCancelledCallback, this);

            int limit = _options.MaxMessageBytes;
            Memory<byte> destination = buffer.AsMemory(0, limit + 1);
            int received = 0;
            while (true)
            {
                ValueWebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(destination[received..], _abortToken);
                }
                catch (Exception exception)
                {
                    return OnReceiveFailed(exception, cancellationToken);
                }

                if (CloseInfo is not null)
                {
                    // Closing: whatever arrived is dropped; the close handshake reads the rest.
                    return TransportReceiveResult.Closed;
                }

                switch (result.MessageType)
                {
                    case WebSocketMessageType.Close:
                        OnPeerClosed();
                        return TransportReceiveResult.Closed;

                    case WebSocketMessageType.Text:
                        TryBeginClose(
                            new SessionCloseInfo(SessionCloseCode.UnsupportedData, "text messages are not supported; send binary messages", ByPeer: false),
                            CloseKind.FlushThenClose);
                        return TransportReceiveResult.Closed;
                }

                received += result.Count;
                if (received > limit)
                {
                    TryBeginClose(
                        new SessionCloseInfo(SessionCloseCode.MessageTooBig, $"message larger than the {limit}-byte limit", ByPeer: false),
                        CloseKind.FlushThenClose);
                    return TransportReceiveResult.Closed;
                }

                if (result.EndOfMessage)
                {
                    Interlocked.Increment(ref _messagesReceived);
                    Interlocked.Add(ref _bytesReceived, received);
                    return TransportReceiveResult.Message(buffer.AsMemory(0, received), isReliable: true);
                }
            }
        }
        finally
        {
            ExitReceive();
        }
    }

    /// <returns>The receive buffer, or null when the session is closed.</returns>
    private byte[]? EnterReceive()
    {
        lock (_gate)
        {
            if (_receiveActive)
            {
                throw new InvalidOperationException("Only one ReceiveAsync may be outstanding on a session at a time.");
            }

            if (_closeInfo is not null || _disposed || _receiveBuffer is null)
            {
                return null;
            }

            _receiveActive = true;
            return _receiveBuffer;
        }
    }

    private void ExitReceive()
    {
        lock (_gate)
        {
            _receiveActive = false;
        }

        ReleaseResourcesIfUnused();
    }

    private void OnReceiveCancelled() =>
        TryBeginClose(
            new SessionCloseInfo(SessionCloseCode.GoingAway, "receive cancelled by the server", ByPeer: false),
            CloseKind.Abort,
            receiveCancelledByCaller: true);

    private void OnPeerClosed()
    {
        var code = (SessionCloseCode)(int)(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure);
        string reason = _socket.CloseStatusDescription ?? string.Empty;

        // The peer is leaving: drop what is queued and answer its close frame right away.
        TryBeginClose(new SessionCloseInfo(code, reason, ByPeer: true), CloseKind.DiscardThenClose);
    }

    private TransportReceiveResult OnReceiveFailed(Exception exception, CancellationToken cancellationToken)
    {
        bool cancelledByCaller;
        lock (_gate)
        {
            cancelledByCaller = _receiveCancelledByCaller;
        }

        if (cancelledByCaller)
        {
            throw new OperationCanceledException("ReceiveAsync was cancelled; the connection was aborted.", exception, cancellationToken);
        }

        if (CloseInfo is null)
        {
            LogFailure(exception, "receiving");

            // Faulted is how the socket reports a broken frame from the peer; it has already sent
            // 1002 itself. Anything else means the connection went away.
            SessionCloseInfo info = exception is WebSocketException { WebSocketErrorCode: WebSocketError.Faulted }
                ? new SessionCloseInfo(SessionCloseCode.ProtocolError, $"protocol violation: {exception.Message}", ByPeer: false)
                : ConnectionLost("receiving");
            TryBeginClose(info, CloseKind.Abort);
        }

        return TransportReceiveResult.Closed;
    }
}
