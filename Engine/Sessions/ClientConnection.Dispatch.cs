using Engine.Cluster;
using Engine.Documents;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Security;
using Engine.Telemetry;
using Engine.Transport.Abstractions;

namespace Engine.Sessions;

internal sealed partial class ClientConnection
{
    private const int MaxPlayerNameLength = 32;

    private void Dispatch(ReadOnlySpan<byte> payload)
    {
        MessageType type = MessageCodec.ReadType(payload);
        if (!MessageCatalog.IsClientToServer(type))
        {
            throw new ProtocolException($"{type} is a server-to-client message.");
        }

        if (_session is null && type != MessageType.Hello)
        {
            throw new ProtocolException($"{type} before hello: the first message must be hello.");
        }

        if (_session?.Player is { } seated)
        {
            RoomHost.Touch(seated, _services.Time.GetTimestamp());
        }

        switch (type)
        {
            case MessageType.Hello:
                OnHello(MessageCodec.Read<HelloMessage>(payload));
                break;
            case MessageType.Join:
                OnJoin(MessageCodec.Read<JoinMessage>(payload));
                break;
            case MessageType.Leave:
                MessageCodec.Read<LeaveMessage>(payload);
                OnLeave();
                break;
            case MessageType.Chat:
                OnChat(MessageCodec.Read<ChatMessage>(payload));
                break;
            case MessageType.Typing:
                OnTyping(MessageCodec.Read<TypingMessage>(payload));
                break;
            case MessageType.Input:
                MessageCodec.ReadBody(payload, ref _input);
                OnInput(_input!, fromIo: false);
                break;
            case MessageType.Ping:
                MessageCodec.ReadBody(payload, ref _ping);
                OnPing(_ping!);
                break;
            case MessageType.InputBatch:
                MessageCodec.ReadBody(payload, ref _inputBatch);
                OnInputBatch(_inputBatch!, fromIo: false);
                break;
            case MessageType.SnapshotAck:
                MessageCodec.ReadBody(payload, ref _snapshotAck);
                OnSnapshotAck(_snapshotAck!.Tick);
                break;
            case MessageType.DocumentSet or MessageType.DocumentRemove or MessageType.DocumentIncrement:
                OnDocumentWrite(ReadDocumentWrite(type, payload));
                break;
            default:
                throw new ProtocolException($"Unhandled message type {type}.");
        }
    }

    private void OnHello(HelloMessage hello)
    {
        if (_session is not null)
        {
            throw new ProtocolException("A second hello on the same connection.");
        }

        if (hello.ProtocolVersion != ProtocolInfo.Version)
        {
            throw new ProtocolException($"Protocol version {hello.ProtocolVersion} is not supported; this server speaks {ProtocolInfo.Version}.");
        }

        SessionState? resumed = hello.ResumeToken is { Length: > 0 } token ? _services.Sessions.Find(token) : null;
        bool resumeFailed = hello.ResumeToken is { Length: > 0 } && resumed is null;
        SessionState session = resumed ?? _services.Sessions.Create();
        TakeOver(session);

        Reply(new WelcomeMessage
        {
            SessionId = session.SessionId,
            ResumeToken = session.ResumeToken,
            TickRate = _options.TickRate,
            ServerTime = _services.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            HeartbeatIntervalMs = (int)_options.HeartbeatInterval.TotalMilliseconds,
            Resumed = resumed is not null,
            PlayerId = session.PlayerId,
        });

        if (resumeFailed)
        {
            SendError(ErrorCode.ResumeFailed, "The resume token is unknown or expired; this is a new session. Join again.");
        }

        if (resumed is null)
        {
            return;
        }

        if (resumed is { Room: { } room, Player: { } player } && room.TryResume(player, _transport, hello.LastSequence, out bool needsStore))
        {
            if (needsStore)
            {
                _storeResume = (room, player, hello.LastSequence); // the receive loop reads the older events, then resumes
            }

            return;
        }

        if (resumed.RelayRoom is not null)
        {
            _relinkSequence = hello.LastSequence; // the room is on another instance: the receive loop re-links to it
            return;
        }

        // The session is back but holds no seat (it had left, or the seat was released): say so,
        // so the client joins again instead of waiting for a JoinAccepted that will not come.
        resumed.Room = null;
        resumed.Player = null;
        SendError(ErrorCode.ResumeFailed, "The session resumed without a room seat; join again.");
    }

    /// <summary>Makes <paramref name="session"/> this connection's, closing a connection that still held it.</summary>
    private void TakeOver(SessionState session)
    {
        ClientConnection? previous;
        lock (session)
        {
            previous = session.Connection;
            session.Connection = this;
            session.ExpiresAt = 0;
        }

        _session = session;
        if (previous is not null && previous != this)
        {
            // The same client resumed on a new connection while the old one lingers half-open.
            _ = previous.Transport.CloseAsync(SessionCloseCode.Replaced, "resumed on a newer connection").AsTask();
        }
    }

    private void OnJoin(JoinMessage join)
    {
        SessionState session = _session!;
        if (session.Room is not null)
        {
            SendError(ErrorCode.InvalidState, $"Already in room '{session.Room.Name}'; leave first.");
            return;
        }

        if (!RoomNames.IsValid(join.Room))
        {
            SendError(ErrorCode.InvalidArgument, RoomNames.Rule);
            return;
        }

        if (!IsValidPlayerName(join.Name))
        {
            SendError(ErrorCode.InvalidArgument, $"Player names are 1–{MaxPlayerNameLength} printable characters.");
            return;
        }

        if (_services.Tokens is { } tokens)
        {
            JoinTokenStatus status = tokens.Validate(join.Token, join.Room, join.Name);
            if (status != JoinTokenStatus.Valid)
            {
                Log.JoinRefused(_logger, join.Name, join.Room, $"token {status}");
                SendError(ErrorCode.Unauthorized, $"Join token rejected: {status}.");
                return;
            }
        }

        RoomHost? room = _services.Rooms.GetOrCreate(join.Room);
        if (room is null && _services.Rooms.HasDurableEvents)
        {
            SendError(ErrorCode.InvalidState, "The room was closing; join again.");
            return;
        }

        if (room is null)
        {
            SendError(ErrorCode.TooManyRooms, "The server is at its room limit; try an existing room or later.");
            return;
        }

        var player = new Player(session.PlayerId, join.Name);
        if (_services.Seats.IsDurable)
        {
            player.Seat = new SeatRecord { TokenHash = session.TokenHash, SessionId = session.SessionId, PlayerId = session.PlayerId, Name = join.Name };
        }

        ErrorCode? refused = room.TryJoin(player, _transport);
        if (refused is { } code)
        {
            Log.JoinRefused(_logger, join.Name, join.Room, code.ToString());
            SendError(code, code == ErrorCode.RoomFull ? $"Room '{join.Room}' is full ({_options.RoomCapacity} players)." : "The room is closing or cannot seat this session; reconnect and join again.");
            return;
        }

        session.Room = room;
        session.Player = player;
    }

    private void OnLeave()
    {
        SessionState session = _session!;
        if (session.Room is { } room && session.Player is { } player)
        {
            room.Leave(player, "left");
        }

        session.Room = null;
        session.Player = null;
    }

    private void OnChat(ChatMessage chat)
    {
        if (!TryGetSeat(out RoomHost? room, out Player? player))
        {
            return;
        }

        if (!_chat.TryTake())
        {
            Drop("chat_rate");
            SendError(ErrorCode.RateLimited, "Too many chat messages; this one was dropped.");
            return;
        }

        if (chat.Text.Length == 0 || chat.Text.Length > _options.MaxChatLength)
        {
            SendError(ErrorCode.InvalidArgument, $"Chat lines are 1–{_options.MaxChatLength} characters.");
            return;
        }

        room.Chat(player, chat.Text);
    }

    /// <summary>A DocumentSet, DocumentRemove or DocumentIncrement message as the write it asks for.</summary>
    private static DocumentWrite ReadDocumentWrite(MessageType type, ReadOnlySpan<byte> payload)
    {
        DocumentWrite write = type switch
        {
            MessageType.DocumentSet => MessageCodec.Read<DocumentSetMessage>(payload) is var set ? new DocumentWrite(DocumentWriteKind.Set, set.Key, set.Value, 0) : default,
            MessageType.DocumentRemove => new DocumentWrite(DocumentWriteKind.Remove, MessageCodec.Read<DocumentRemoveMessage>(payload).Key, null, 0),
            _ => MessageCodec.Read<DocumentIncrementMessage>(payload) is var increment ? new DocumentWrite(DocumentWriteKind.Increment, increment.Counter, null, increment.Amount) : default,
        };
        return write.Key is null || (write.Kind == DocumentWriteKind.Set && write.Value is null)
            ? throw new ProtocolException("A document write without its key or value.")
            : write;
    }

    /// <summary>The document-write rate limit; false (and RateLimited sent) when this write is dropped.</summary>
    private bool TakeDocumentWrite()
    {
        if (_documentWrites.TryTake())
        {
            return true;
        }

        Drop("document_rate");
        SendError(ErrorCode.RateLimited, "Too many document writes; this one was dropped.");
        return false;
    }

    private void OnDocumentWrite(DocumentWrite write)
    {
        if (!TryGetSeat(out RoomHost? room, out Player? player) || !TakeDocumentWrite())
        {
            return;
        }

        if (room.WriteDocument(player, write) is { } refused)
        {
            SendError(refused.Code, refused.Message);
        }
    }

    private void OnTyping(TypingMessage typing)
    {
        if (!TryGetSeat(out RoomHost? room, out Player? player))
        {
            return;
        }

        if (!_typing.TryTake())
        {
            Drop("typing_rate");
            return;
        }

        room.Typing(player, typing.IsTyping);
    }

    /// <summary>One input, from the receive loop or (<paramref name="fromIo"/>) a datagram on the transport's I/O thread.</summary>
    private void OnInput(InputMessage input, bool fromIo)
    {
        if (Volatile.Read(ref _session) is not { } session || session.Room is not { } room || session.Player is not { } player)
        {
            return; // before joining, or racing a leave: harmless; no error per input
        }

        string? exhausted = null;
        bool allowed;
        lock (_inputGate)
        {
            allowed = _inputs.TryTake();
            if (!allowed)
            {
                exhausted = CountDropLocked("input_rate");
            }
        }

        if (!allowed)
        {
            CloseIfExhausted(exhausted, fromIo);
            return;
        }

        if (input.Data.Length > Player.MaxInputBytes)
        {
            throw new ProtocolException($"Input data is {input.Data.Length} bytes; the limit is {Player.MaxInputBytes}.");
        }

        room.Input(player, input.Sequence, input.ClientTick, input.Data);
    }

    private void OnPing(PingMessage ping)
    {
        if (ping.LastRttMs is > 0 and < 60_000)
        {
            _transport.ObserveRoundTrip(TimeSpan.FromMilliseconds(ping.LastRttMs));
        }

        _pong.ClientTime = ping.ClientTime;
        _pong.ServerTime = _services.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Reply(_pong);
    }

    private bool TryGetSeat([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RoomHost? room, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Player? player)
    {
        room = _session!.Room;
        player = _session.Player;
        if (room is null || player is null)
        {
            SendError(ErrorCode.InvalidState, "Join a room first.");
            return false;
        }

        return true;
    }

    private static bool IsValidPlayerName(string name) =>
        name.Length is > 0 and <= MaxPlayerNameLength && !name.Any(char.IsControl);
}
