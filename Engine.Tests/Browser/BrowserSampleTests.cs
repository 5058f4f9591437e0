using Engine.Tests.Host;
using Microsoft.Playwright;

namespace Engine.Tests.Browser;

/// <summary>
/// Real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a real host
/// over real UDP and TCP: pages on WebTransport (the sample's default) and on WebSocket
/// (<c>?transport=ws</c>) share one room, and a dropped page resumes over the other transport.
/// Chromium's net-log is reported when a test fails.
/// </summary>
public class BrowserSampleTests
{
    [Fact]
    public async Task ThreePages_TwoOnWebTransportOneOnWebSocket_SeeEachOtherMoveChatAndType()
    {
        // Typing indicators expire 3 s after the last key by default; a slow machine could let
        // Alice's expire before the others look, so here they outlast the test (expiry itself is
        // RoomBehaviourTests' job).
        await using EngineTestHost host = await EngineTestHost.StartAsync(o =>
        {
            o.TickRate = 30;
            o.TypingTimeout = TimeSpan.FromMinutes(5);
        });
        await using BrowserHarness browser = await BrowserHarness.LaunchAsync();
        await browser.RunAsync(async () =>
        {
            IBrowserContext context = await browser.NewContextAsync();
            IPage alice = await browser.NewPageAsync(context, "alice");
            IPage bob = await browser.NewPageAsync(context, "bob");
            IPage carol = await browser.NewPageAsync(context, "carol");
            // (wtTimeoutMs: a busy machine must not push a WebTransport page onto the fallback)
            await alice.GotoAsync(new Uri(host.BaseAddress, "/?room=pw&name=alice&wtTimeoutMs=30000").ToString());
            await bob.GotoAsync(new Uri(host.BaseAddress, "/?room=pw&name=bob&wtTimeoutMs=30000").ToString());
            await carol.GotoAsync(new Uri(host.BaseAddress, "/?room=pw&name=carol&transport=ws").ToString());
            foreach (IPage page in (IPage[])[alice, bob, carol])
            {
                await WaitForAsync(page, "() => window.engine.view.members.length === 3 && window.engine.client.state === 'connected'");
            }

            Assert.Equal("webtransport", await alice.Locator("#transport").InnerTextAsync());
            Assert.Equal("webtransport", await bob.Locator("#transport").InnerTextAsync());
            Assert.Equal("websocket", await carol.Locator("#transport").InnerTextAsync());

            // Bob moves along x and Alice along y (both hold a key in their canvas); each sees the
            // other's dot move, and Carol, on WebSocket, sees both.
            int aliceId = await alice.EvaluateAsync<int>("() => window.engine.client.playerId");
            int bobId = await bob.EvaluateAsync<int>("() => window.engine.client.playerId");
            await HoldUntilSeenAsync(bob, bobId, "x", [alice, carol]);
            await HoldUntilSeenAsync(alice, aliceId, "y", [bob, carol]);

            // Alice types (both others see the indicator) and sends a line (both see it once).
            await alice.Locator("#chat-input").PressSequentiallyAsync("hello all");
            await WaitForAsync(bob, "() => document.getElementById('typing').textContent.includes('alice is typing')");
            await WaitForAsync(carol, "() => document.getElementById('typing').textContent.includes('alice is typing')");
            await alice.Locator("#chat-input").PressAsync("Enter");
            foreach (IPage page in (IPage[])[bob, carol])
            {
                await WaitForAsync(page, "() => [...document.querySelectorAll('#chat-log li')].some(li => li.textContent === 'alice: hello all')");
            }

            // Carol answers over WebSocket; the WebTransport pages see it.
            await carol.Locator("#chat-input").FillAsync("hi from websocket");
            await carol.Locator("#chat-input").PressAsync("Enter");
            foreach (IPage page in (IPage[])[alice, bob])
            {
                await WaitForAsync(page, "() => [...document.querySelectorAll('#chat-log li')].some(li => li.textContent === 'carol: hi from websocket')");
            }

            foreach (IPage page in (IPage[])[alice, bob, carol])
            {
                await WaitForAsync(page, "() => window.engine.client.rtt !== null");
                Assert.Equal(1, await page.EvaluateAsync<int>("() => window.engine.view.chat.filter(c => c.text === 'hello all').length"));
            }

            // Kept for a human look at what the page shows (test output names the file).
            string shot = Path.Combine(Path.GetTempPath(), "engine-arena-alice.png");
            await alice.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
            TestContext.Current.TestOutputHelper?.WriteLine("screenshot: " + shot);
            Assert.Equal("webtransport", await alice.Locator("#transport").InnerTextAsync());
            Assert.Equal("webtransport", await bob.Locator("#transport").InnerTextAsync());
            Assert.Equal("websocket", await carol.Locator("#transport").InnerTextAsync());
            Assert.Empty(browser.PageErrors);
        });
    }

    /// <summary>
    /// A page's link drops; while it is away (its reconnect held back until the server has seen it
    /// go and the other player's line is posted) the other player chats; it then resumes over the
    /// other transport as the same player and sees the missed line exactly once, then a live one.
    /// </summary>
    [Theory]
    [InlineData("auto", "webtransport", "ws", "websocket")]
    [InlineData("ws", "websocket", "wt", "webtransport")]
    public async Task Resume_DroppedPageReconnectsOverOtherTransport_SamePlayerAndMissedChatExactlyOnce(
        string loadTransport, string firstTransport, string resumePrefer, string resumeTransport)
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TickRate = 30);
        await using BrowserHarness browser = await BrowserHarness.LaunchAsync();
        await browser.RunAsync(async () =>
        {
            IBrowserContext context = await browser.NewContextAsync();
            IPage away = await browser.NewPageAsync(context, "away");
            IPage stays = await browser.NewPageAsync(context, "stays");
            await away.GotoAsync(new Uri(host.BaseAddress, $"/?room=resume&name=away&transport={loadTransport}&wtTimeoutMs=30000").ToString());
            await stays.GotoAsync(new Uri(host.BaseAddress, "/?room=resume&name=stays&wtTimeoutMs=30000").ToString());
            foreach (IPage page in (IPage[])[away, stays])
            {
                await WaitForAsync(page, "() => window.engine.view.members.length === 2 && window.engine.view.members.every(m => m.online) && window.engine.client.state === 'connected'");
            }

            Assert.Equal(firstTransport, await away.Locator("#transport").InnerTextAsync());
            int awayId = await away.EvaluateAsync<int>("() => window.engine.client.playerId");
            int resumesBefore = await away.EvaluateAsync<int>("() => window.engine.client.resumes");

            // The next connect prefers the other transport and is held until released; then the link drops.
            await away.EvaluateAsync("""
                (prefer) => {
                  const client = window.engine.client;
                  client.prefer = prefer;
                  client.connect = () => { window.reconnectHeld = true; };
                  client.ws.close(4999, 'test drop');
                }
                """, resumePrefer);
            await WaitForAsync(away, "() => window.reconnectHeld === true");
            await WaitForAsync(stays, $"() => window.engine.view.members.some(m => m.playerId === {awayId} && !m.online)");

            await stays.Locator("#chat-input").FillAsync("while you were away");
            await stays.Locator("#chat-input").PressAsync("Enter");
            await WaitForAsync(stays, "() => window.engine.view.chat.some(c => c.text === 'while you were away')");
            Assert.Equal(0, await away.EvaluateAsync<int>("() => window.engine.view.chat.filter(c => c.text === 'while you were away').length"));

            await away.EvaluateAsync("() => { const client = window.engine.client; delete client.connect; client.connect(); }");
            await WaitForAsync(away, $"() => window.engine.client.state === 'connected' && window.engine.client.resumes === {resumesBefore + 1} && window.engine.client.transport === '{resumeTransport}'");
            await WaitForAsync(away, "() => window.engine.view.chat.some(c => c.text === 'while you were away')");
            await WaitForAsync(stays, $"() => window.engine.view.members.some(m => m.playerId === {awayId} && m.online)");

            await stays.Locator("#chat-input").FillAsync("and now");
            await stays.Locator("#chat-input").PressAsync("Enter");
            await WaitForAsync(away, "() => window.engine.view.chat.some(c => c.text === 'and now')");

            Assert.Equal(resumeTransport, await away.Locator("#transport").InnerTextAsync());
            Assert.Equal(awayId, await away.EvaluateAsync<int>("() => window.engine.client.playerId"));
            Assert.Equal(resumesBefore + 1, await away.EvaluateAsync<int>("() => window.engine.client.resumes"));
            Assert.Equal(2, await away.EvaluateAsync<int>("() => window.engine.view.members.length"));
            Assert.Equal(1, await away.EvaluateAsync<int>("() => window.engine.view.chat.filter(c => c.text === 'while you were away').length"));
            Assert.Equal(1, await away.EvaluateAsync<int>("() => window.engine.view.chat.filter(c => c.text === 'and now').length"));
            Assert.Empty(browser.PageErrors);
        });
    }

    /// <summary>
    /// Holds a key in <paramref name="mover"/>'s canvas (towards the wider side of the arena on
    /// <paramref name="axis"/>) until every watcher sees the mover's dot 30 px away from where it was.
    /// </summary>
    private static async Task HoldUntilSeenAsync(IPage mover, int moverId, string axis, IPage[] watchers)
    {
        // Dots are drawn once the first entity snapshot (and, for the mover, its own entity) has arrived.
        foreach (IPage page in watchers.Prepend(mover))
        {
            await WaitForAsync(page, $"() => window.engine.view.dots.has({moverId})");
        }

        double start = await mover.EvaluateAsync<double>($"id => window.engine.view.dots.get(id).{axis}", moverId);
        double extent = await mover.EvaluateAsync<double>(axis == "x" ? "() => document.getElementById('arena').width" : "() => document.getElementById('arena').height");
        bool forward = start < extent / 2;
        string key = (axis, forward) switch
        {
            ("x", true) => "KeyD",
            ("x", false) => "KeyA",
            (_, true) => "KeyS",
            _ => "KeyW",
        };
        var before = new Dictionary<IPage, double>();
        foreach (IPage watcher in watchers)
        {
            before[watcher] = await watcher.EvaluateAsync<double>($"id => window.engine.view.dots.get(id).{axis}", moverId);
        }

        await mover.Locator("#arena").FocusAsync();
        await mover.Keyboard.DownAsync(key);
        foreach (IPage watcher in watchers)
        {
            string moved = forward ? $"> {before[watcher] + 30}" : $"< {before[watcher] - 30}";
            await WaitForAsync(watcher, $"() => window.engine.view.dots.get({moverId})?.{axis} {moved}");
        }

        await mover.Keyboard.UpAsync(key);
    }

    /// <summary>Waits for <paramref name="condition"/>; a timeout names it and the page's state.</summary>
    internal static async Task WaitForAsync(IPage page, string condition)
    {
        try
        {
            await page.WaitForFunctionAsync(condition, null, BrowserHarness.Wait);
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"Timed out waiting for {condition}; page: {await BrowserHarness.DescribeAsync(page)}", exception);
        }
    }
}
