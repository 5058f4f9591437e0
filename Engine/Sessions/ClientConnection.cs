using System.Buffers;
using Engine.Hosting;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Security;
using Engine.Telemetry;
using Engine.Transport.Abstractions;
using Microsoft.Extensions.Logging;

namespace Engine.Sessions;

/// <summary>
/// One client connection on any transport: reads messages, enforces limits, and drives its
/// session's room membership. Split by concern: the loop and lifecycle here, message handling
/// in <c>ClientConnection.Dispatch.cs</c>.
/// </summary>
internal sealed partial class ClientConnection
{
    private readonly ITransportSession _transport;
    private readonly EngineServices _services;
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly TokenBucket _inputs;
    private readonly TokenBucket _chat;
    private readonly TokenBucket _typing;
    private readonly TokenBucket _documentWrites;
    private readonly TokenBucket _abuse;
    private readonly ArrayBufferWriter<byte> _replyWriter = new(128);
    private SessionState? _session;
    private long _dropped;
    private (SessionCloseCode Code, string Reason)? _closeRequested;
    private long? _relinkSequence;
    private (RoomHost Room, Player Player, long LastSequence)? _storeResume;

    // Reused decode targets: MemoryPack overwrites them, so steady input and ping traffic allocates nothing.
    private InputMessage? _input;
    private PingMessage? _ping;
    private readonly PongMessage _pong = new();

    public ClientConnection(ITransportSession transport, EngineServices services)
    {
        _transport = transport;
        _services = services;
        _options = services.Options;
        _logger = services.Logger;
        TimeProvider time = services.Time;
        _inputs = new TokenBucket(_options.InputRatePerSecond, _options.InputRatePerSecond * 2, time);
        _chat = new TokenBucket(_options.ChatRatePerSecond, Math.Max(5, _options.ChatRatePerSecond * 2), time);
        _typing = new TokenBucket(4, 8, time);
        _documentWrites = new TokenBucket(_options.DocumentRatePerSecond, _options.DocumentRatePerSecond * 2, time);
        _abuse = new TokenBucket(_options.AbuseAllowance / 10.0, _options.AbuseAllowance, time);
    }

    public ITransportSession Transport => _transport;

    /// <summary>Runs until the transport closes, then releases the player's seat for a resume.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        EngineMetrics metrics = _services.Metrics;
        var transportTag = new KeyValuePair<string, object?>("transport", _transport.TransportName);
        metrics.Connections.Add(1, transportTag);
        AttachUnreliableHandler();
        if (_relayedFrom is not null)
        {
            AdoptRelayedSession();
            if (_storeResume is { } adopted)
            {
                _storeResume = null;
                await ResumeFromStoreAsync(adopted.Room, adopted.Player, adopted.LastSequence, cancellationToken);
            }
        }

        Log.ConnectionOpened(_logger, _transport.Id, _transport.RemoteEndPoint?.ToString(), _transport.TransportName);
        try
        {
            while (true)
            {
                TransportReceiveResult result = await _transport.ReceiveAsync(cancellationToken);
                if (result.IsClosed)
                {
                    break;
                }

                metrics.MessagesIn.Add(1, transportTag);
                metrics.BytesIn.Add(result.Payload.Length, transportTag);
                if (_edgeLink is { } link && !(link.LeftRoom && result.Payload.Span[0] == (byte)MessageType.Join))
                {
                    try
                    {
                        RelayFromEdge(link, result.Payload.Span, result.IsReliable);
                    }
                    catch (ProtocolException ex)
                    {
                        Log.MalformedMessage(_logger, _transport.Id, ex.Message);
                        await _transport.CloseAsync(SessionCloseCode.ProtocolError, Truncate(ex.Message), CancellationToken.None);
                        break;
                    }

                    continue;
                }

                if (!result.IsReliable && (result.Payload.Length == 0 || result.Payload.Span[0] != (byte)MessageType.Input))
                {
                    // Only inputs may arrive unreliably (WebTransport datagrams); anything else there is dropped, not fatal.
                    metrics.Drops.Add(1, new KeyValuePair<string, object?>("reason", "unreliable_not_input"), transportTag);
                    continue;
                }

                try
                {
                    if (_session is null)
                    {
                        await FindRecordedSessionAsync(result.Payload, cancellationToken);
                    }

                    if (!await TryRouteAsync(result.Payload, cancellationToken))
                    {
                        Dispatch(result.Payload.Span);
                    }

                    if (_relinkSequence is { } lastSequence)
                    {
                        _relinkSequence = null;
                        await RelinkResumedAsync(lastSequence, cancellationToken);
                    }

                    if (_storeResume is { } resume)
                    {
                        _storeResume = null;
                        await ResumeFromStoreAsync(resume.Room, resume.Player, resume.LastSequence, cancellationToken);
                    }
                }
                catch (ProtocolException ex)
                {
                    Log.MalformedMessage(_logger, _transport.Id, ex.Message);
                    await _transport.CloseAsync(SessionCloseCode.ProtocolError, Truncate(ex.Message), CancellationToken.None);
                    break;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A bug on our side while handling this peer's message: close only this
                    // connection (1011) rather than let the exception reach the server.
                    Log.ConnectionFailed(_logger, ex, _transport.Id);
                    await _transport.CloseAsync(SessionCloseCode.InternalError, "internal error", CancellationToken.None);
                    break;
                }

                if (_closeRequested is { } close)
                {
                    await _transport.CloseAsync(close.Code, close.Reason, CancellationToken.None);
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _transport.CloseAsync(SessionCloseCode.GoingAway, "server shutting down", CancellationToken.None);
        }
        finally
        {
            OnDisconnected();
            metrics.Connections.Add(-1, transportTag);
            SessionCloseInfo? info = _transport.CloseInfo;
            if (info is not null)
            {
                metrics.Disconnects.Add(1, new KeyValuePair<string, object?>("reason", info.Code.ToString()), transportTag);
                Log.ConnectionClosed(_logger, _transport.Id, info.Code, info.Reason, info.ByPeer);
            }

            await _transport.DisposeAsync();
        }
    }

    private void RequestClose(SessionCloseCode code, string reason) => _closeRequested ??= (code, reason);

    private void OnDisconnected()
    {
        EndEdgeLink();
        if (_session is not { } session)
        {
            return;
        }

        lock (session)
        {
            if (!ReferenceEquals(session.Connection, this))
            {
                return; // a newer connection resumed this session
            }
        }

        if (session.Room is { } room && session.Player is { } player)
        {
            room.Detach(player, _transport);
        }

        _services.Sessions.Detach(session, _options.ReconnectGrace);
    }

    /// <summary>Counts a dropped message against the abuse allowance; closes with 1008 when it runs out.</summary>
    private void Drop(string reason)
    {
        lock (_inputGate)
        {
            if (CountDropLocked(reason) is { } exhausted)
            {
                RequestClose(SessionCloseCode.PolicyViolation, exhausted);
            }
        }
    }

    /// <summary>Counts a drop; returns the close reason once the abuse allowance is spent.</summary>
    private string? CountDropLocked(string reason)
    {
        _dropped++;
        _services.Metrics.Drops.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("transport", _transport.TransportName));
        if (_abuse.TryTake())
        {
            return null;
        }

        Log.RateAbuse(_logger, _transport.Id, _dropped);
        return $"rate limit exceeded repeatedly ({_dropped} messages dropped)";
    }

    private void Reply<T>(T message)
        where T : class
    {
        _replyWriter.ResetWrittenCount();
        MessageCodec.Write(_replyWriter, message);
        if (_transport.TrySendReliable(_replyWriter.WrittenSpan))
        {
            var transport = new KeyValuePair<string, object?>("transport", _transport.TransportName);
            _services.Metrics.MessagesOut.Add(1, new KeyValuePair<string, object?>("channel", "reliable"), transport);
            _services.Metrics.BytesOut.Add(_replyWriter.WrittenCount, transport);
        }
    }

    private void SendError(ErrorCode code, string message) => Reply(new ErrorMessage { Code = code, Message = message });

    private static string Truncate(string reason) => reason.Length <= 100 ? reason : reason[..100];
}
