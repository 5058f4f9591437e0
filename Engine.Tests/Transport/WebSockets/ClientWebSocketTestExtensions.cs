using System.Buffers;
using System.Net.WebSockets;
using Engine.Transport.Abstractions;
using Engine.Transport.WebSockets;

namespace Engine.Tests.Transport.WebSockets;

/// <summary>What a test client received: a whole message, or the server's close frame.</summary>
internal sealed record ClientMessage(WebSocketMessageType Type, byte[] Payload, WebSocketCloseStatus? CloseStatus, string? CloseDescription)
{
    public bool IsClose => Type == WebSocketMessageType.Close;
}

internal static class ClientWebSocketTestExtensions
{
    /// <summary>Reads one whole message (or the close frame), failing the test after the timeout.</summary>
    public static async Task<ClientMessage> ReceiveWholeAsync(this ClientWebSocket client, TimeSpan? timeout = null)
    {
        var payload = new ArrayBufferWriter<byte>();
        while (true)
        {
            Memory<byte> chunk = payload.GetMemory(16 * 1024);
            ValueWebSocketReceiveResult result = await client
                .ReceiveAsync(chunk, TestContext.Current.CancellationToken)
                .AsTask()
                .WaitAsync(timeout ?? WebSocketTestServer.Timeout);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new ClientMessage(result.MessageType, [], client.CloseStatus, client.CloseStatusDescription);
            }

            payload.Advance(result.Count);
            if (result.EndOfMessage)
            {
                return new ClientMessage(result.MessageType, payload.WrittenSpan.ToArray(), null, null);
            }
        }
    }

    /// <summary>Reads messages until the close frame, answers it, and returns what came before.</summary>
    public static async Task<(List<byte[]> Messages, ClientMessage Close)> ReceiveUntilCloseAsync(this ClientWebSocket client, TimeSpan? timeout = null)
    {
        var messages = new List<byte[]>();
        while (true)
        {
            ClientMessage message = await client.ReceiveWholeAsync(timeout);
            if (message.IsClose)
            {
                await client.AnswerCloseAsync();
                return (messages, message);
            }

            messages.Add(message.Payload);
        }
    }

    /// <summary>Echoes the server's close frame, completing the handshake.</summary>
    public static async Task AnswerCloseAsync(this ClientWebSocket client)
    {
        if (client.State == WebSocketState.CloseReceived)
        {
            await client
                .CloseOutputAsync(client.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken)
                .WaitAsync(WebSocketTestServer.Timeout);
        }
    }

    public static Task SendBinaryAsync(this ClientWebSocket client, byte[] payload, bool endOfMessage = true) =>
        client.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage, TestContext.Current.CancellationToken)
            .WaitAsync(WebSocketTestServer.Timeout);

    /// <summary>Reads until the session ends.</summary>
    public static async Task<List<byte[]>> ReceiveUntilClosedAsync(this WebSocketTransportSession session)
    {
        var messages = new List<byte[]>();
        while (true)
        {
            TransportReceiveResult result = await session.ReceiveAsync();
            if (result.IsClosed)
            {
                return messages;
            }

            messages.Add(result.Payload.ToArray());
        }
    }

    /// <summary>Completes when the session's <see cref="ITransportSession.Closed"/> token fires.</summary>
    public static Task WhenClosedAsync(this ITransportSession session, TimeSpan? timeout = null)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Closed.Register(() => closed.TrySetResult());
        return closed.Task.WaitAsync(timeout ?? WebSocketTestServer.Timeout);
    }
}
