using System.Collections.Frozen;

namespace Engine.Protocol;

/// <summary>Which body type goes with which <see cref="MessageType"/>: the one list the codec, the docs and the browser codec generator read.</summary>
public static class MessageCatalog
{
    /// <summary>Every message, in type order.</summary>
    public static IReadOnlyList<(MessageType Type, Type Body)> All { get; } =
    [
        (MessageType.Hello, typeof(HelloMessage)),
        (MessageType.Join, typeof(JoinMessage)),
        (MessageType.Leave, typeof(LeaveMessage)),
        (MessageType.Chat, typeof(ChatMessage)),
        (MessageType.Typing, typeof(TypingMessage)),
        (MessageType.Input, typeof(InputMessage)),
        (MessageType.Ping, typeof(PingMessage)),
        (MessageType.InputBatch, typeof(InputBatchMessage)),
        (MessageType.SnapshotAck, typeof(SnapshotAckMessage)),
        (MessageType.DocumentSet, typeof(DocumentSetMessage)),
        (MessageType.DocumentRemove, typeof(DocumentRemoveMessage)),
        (MessageType.DocumentIncrement, typeof(DocumentIncrementMessage)),
        (MessageType.Welcome, typeof(WelcomeMessage)),
        (MessageType.JoinAccepted, typeof(JoinAcceptedMessage)),
        (MessageType.Joined, typeof(JoinedMessage)),
        (MessageType.Left, typeof(LeftMessage)),
        (MessageType.ChatPosted, typeof(ChatPostedMessage)),
        (MessageType.TypingChanged, typeof(TypingChangedMessage)),
        (MessageType.Presence, typeof(PresenceMessage)),
        (MessageType.Snapshot, typeof(SnapshotMessage)),
        (MessageType.GameEvent, typeof(GameEventMessage)),
        (MessageType.Pong, typeof(PongMessage)),
        (MessageType.Error, typeof(ErrorMessage)),
        (MessageType.EntitySnapshot, typeof(EntitySnapshotMessage)),
        (MessageType.DocumentChanged, typeof(DocumentChangedMessage)),
    ];

    private static readonly FrozenDictionary<Type, MessageType> TypesByBody = All.ToFrozenDictionary(m => m.Body, m => m.Type);

    /// <summary>Types embedded inside messages (not sent on their own).</summary>
    public static IReadOnlyList<Type> Embedded { get; } = [typeof(RoomMember), typeof(InputEntry), typeof(DocumentEntry), typeof(DocumentCounter)];

    /// <summary>The message type for a body type.</summary>
    /// <exception cref="ArgumentException">The type is not a message body.</exception>
    public static MessageType TypeOf(Type body) =>
        TypesByBody.TryGetValue(body, out MessageType type) ? type : throw new ArgumentException($"{body.Name} is not in the message catalogue.", nameof(body));

    /// <summary>Whether a client may send this type.</summary>
    public static bool IsClientToServer(MessageType type) => (byte)type < 0x80;

    internal static class Of<T>
    {
        public static readonly MessageType Type = TypeOf(typeof(T));
    }
}
