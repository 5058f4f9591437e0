// Generated from the C# types by `dotnet run --project Engine -- generate-client-codec`. Do not edit:
// ClientCodecTests fails when this file and the C# types disagree.

export const ProtocolVersion = 1;
export const SnapshotChannel = 0;

export const MessageType = Object.freeze({
  Hello: 1,
  Join: 2,
  Leave: 3,
  Chat: 4,
  Typing: 5,
  Input: 6,
  Ping: 7,
  InputBatch: 8,
  SnapshotAck: 9,
  Welcome: 129,
  JoinAccepted: 130,
  Joined: 131,
  Left: 132,
  ChatPosted: 133,
  TypingChanged: 134,
  Presence: 135,
  Snapshot: 136,
  GameEvent: 137,
  Pong: 138,
  Error: 139,
  EntitySnapshot: 140,
});

export const ErrorCode = Object.freeze({
  InvalidState: 1,
  UnsupportedVersion: 2,
  Unauthorized: 3,
  RoomFull: 4,
  TooManyRooms: 5,
  InvalidArgument: 6,
  RateLimited: 7,
  ResumeFailed: 8,
});

// Type byte -> body schema name.
export const MessageBodies = {
  1: 'HelloMessage',
  2: 'JoinMessage',
  3: 'LeaveMessage',
  4: 'ChatMessage',
  5: 'TypingMessage',
  6: 'InputMessage',
  7: 'PingMessage',
  8: 'InputBatchMessage',
  9: 'SnapshotAckMessage',
  129: 'WelcomeMessage',
  130: 'JoinAcceptedMessage',
  131: 'JoinedMessage',
  132: 'LeftMessage',
  133: 'ChatPostedMessage',
  134: 'TypingChangedMessage',
  135: 'PresenceMessage',
  136: 'SnapshotMessage',
  137: 'GameEventMessage',
  138: 'PongMessage',
  139: 'ErrorMessage',
  140: 'EntitySnapshotMessage',
};

// Schema name -> MemoryPack members in order: [name, kind]. Kinds: bool u8 i16 u16 i32 u32 i64 u64 f32 f64
// string bytes obj:Name arr:Name; with '?' (string? bytes? obj?:Name arr?:Name) the member may be null.
export const Schemas = {
  RoomMember: [['playerId', 'i32'], ['name', 'string'], ['online', 'bool']],
  InputEntry: [['sequence', 'u32'], ['clientTick', 'u32'], ['data', 'bytes']],
  HelloMessage: [['protocolVersion', 'i32'], ['resumeToken', 'string?'], ['lastSequence', 'i64']],
  JoinMessage: [['room', 'string'], ['name', 'string'], ['token', 'string?']],
  LeaveMessage: [],
  ChatMessage: [['text', 'string']],
  TypingMessage: [['isTyping', 'bool']],
  InputMessage: [['sequence', 'u32'], ['clientTick', 'u32'], ['data', 'bytes']],
  PingMessage: [['clientTime', 'f64'], ['lastRttMs', 'f64']],
  InputBatchMessage: [['ackTick', 'u32'], ['inputs', 'arr:InputEntry']],
  SnapshotAckMessage: [['tick', 'u32']],
  WelcomeMessage: [['sessionId', 'string'], ['resumeToken', 'string'], ['tickRate', 'i32'], ['serverTime', 'i64'], ['heartbeatIntervalMs', 'i32'], ['resumed', 'bool'], ['playerId', 'i32']],
  JoinAcceptedMessage: [['room', 'string'], ['playerId', 'i32'], ['sequence', 'i64'], ['recovered', 'bool'], ['members', 'arr:RoomMember'], ['state', 'bytes'], ['tickRate', 'i32']],
  JoinedMessage: [['sequence', 'i64'], ['playerId', 'i32'], ['name', 'string']],
  LeftMessage: [['sequence', 'i64'], ['playerId', 'i32'], ['reason', 'string']],
  ChatPostedMessage: [['sequence', 'i64'], ['playerId', 'i32'], ['name', 'string'], ['text', 'string'], ['serverTime', 'i64']],
  TypingChangedMessage: [['playerId', 'i32'], ['isTyping', 'bool']],
  PresenceMessage: [['members', 'arr:RoomMember']],
  SnapshotMessage: [['tick', 'u32'], ['lastProcessedInput', 'u32'], ['serverTime', 'i64'], ['state', 'bytes']],
  GameEventMessage: [['sequence', 'i64'], ['playerId', 'i32'], ['kind', 'i32'], ['data', 'bytes']],
  PongMessage: [['clientTime', 'f64'], ['serverTime', 'i64']],
  ErrorMessage: [['code', 'u16'], ['message', 'string']],
  EntitySnapshotMessage: [['lastProcessedInput', 'u32'], ['serverTime', 'i64'], ['payload', 'bytes']],
  ArenaDot: [['playerId', 'i32'], ['x', 'f32'], ['y', 'f32'], ['hue', 'u16']],
};
