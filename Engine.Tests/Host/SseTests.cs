using Engine.Protocol;

namespace Engine.Tests.Host;

public class SseTests
{
    [Fact]
    public async Task Events_LiveRoom_StreamsEventsWithSequenceIds()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ChatRatePerSecond = 100);
        using HttpClient http = host.CreateHttpClient();
        await using var feed = await SseReader.OpenAsync(http, "/events/arena");

        await using TestClient alice = await host.JoinAsync("arena", "alice");
        await alice.SendAsync(new ChatMessage { Text = "hi spectators" });

        SseEvent joined = await feed.ReadAsync();
        SseEvent chat = await feed.ReadAsync();
        Assert.Equal("joined", joined.Event);
        Assert.Equal("chat", chat.Event);
        Assert.Equal(joined.Id + 1, chat.Id);
        Assert.Contains("\"text\":\"hi spectators\"", chat.Data, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"alice\"", chat.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_LastEventId_ResumesWithoutGapsOrDuplicates()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ChatRatePerSecond = 100);
        using HttpClient http = host.CreateHttpClient();
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        long lastSeen;
        await using (var first = await SseReader.OpenAsync(http, "/events/arena"))
        {
            await alice.SendAsync(new ChatMessage { Text = "one" });
            lastSeen = (await first.ReadAsync()).Id;
        }

        for (int i = 0; i < 3; i++)
        {
            await alice.SendAsync(new ChatMessage { Text = $"while away {i}" });
        }

        await alice.ExpectAsync<ChatPostedMessage>(m => m.Text == "while away 2");
        await using var resumed = await SseReader.OpenAsync(http, "/events/arena", lastSeen);
        var events = new List<SseEvent>();
        for (int i = 0; i < 3; i++)
        {
            events.Add(await resumed.ReadAsync());
        }

        Assert.Equal([lastSeen + 1, lastSeen + 2, lastSeen + 3], events.Select(e => e.Id));
        Assert.All(events, e => Assert.Equal("chat", e.Event));
        Assert.Contains("while away 0", events[0].Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_LastEventIdBeyondBuffer_ResyncEventThenLive()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o =>
        {
            o.ChatRatePerSecond = 1_000;
            o.ReplayBufferSize = 16;
        });
        using HttpClient http = host.CreateHttpClient();
        await using TestClient alice = await host.JoinAsync("arena", "alice");
        for (int i = 0; i < 30; i++)
        {
            await alice.SendAsync(new ChatMessage { Text = $"c{i}" });
        }

        ChatPostedMessage last = await alice.ExpectAsync<ChatPostedMessage>(m => m.Text == "c29");
        await using var feed = await SseReader.OpenAsync(http, "/events/arena", 1);
        SseEvent resync = await feed.ReadAsync();
        await alice.SendAsync(new ChatMessage { Text = "live" });
        SseEvent live = await feed.ReadAsync();

        Assert.Equal("resync", resync.Event);
        Assert.Equal(last.Sequence, resync.Id);
        Assert.Contains("\"name\":\"alice\"", resync.Data, StringComparison.Ordinal);
        Assert.Equal(last.Sequence + 1, live.Id);
    }

    [Fact]
    public async Task Events_InvalidRoomName_BadRequest()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        using HttpClient http = host.CreateHttpClient();

        HttpResponseMessage response = await http.GetAsync("/events/bad%20room");

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }
}

public sealed record SseEvent(long Id, string Event, string Data);

/// <summary>A minimal Server-Sent Events reader over a real HTTP response stream.</summary>
public sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<SseReader> OpenAsync(HttpClient http, string path, long? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    public async Task<SseEvent> ReadAsync()
    {
        using var cts = new CancellationTokenSource(TestClient.Timeout);
        long id = -1;
        string? name = null, data = null;
        while (true)
        {
            string? line = await _reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("the event stream ended");
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    return new SseEvent(id, name ?? "message", data);
                }

                continue;
            }

            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
