using Engine.Tests.Host;
using Microsoft.Playwright;

namespace Engine.Tests.Browser;

/// <summary>
/// Real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a real host:
/// two pages join one room and see each other move, chat and type.
/// </summary>
public class BrowserSampleTests
{
    private const string ChromiumPath = "/usr/bin/chromium";

    [Fact]
    public async Task TwoPages_SameRoom_SeeEachOtherMoveChatAndType()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: scripts/test.sh installs the Debian package 'chromium'.");
        // Typing indicators expire 3 s after the last key by default; a slow machine could let
        // Alice's expire before Bob's page looks, so here they outlast the test (expiry itself is
        // RoomBehaviourTests' job).
        await using EngineTestHost host = await EngineTestHost.StartAsync(o =>
        {
            o.TickRate = 30;
            o.TypingTimeout = TimeSpan.FromMinutes(5);
        });
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        await using IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        IPage alice = await context.NewPageAsync();
        IPage bob = await context.NewPageAsync();
        var errors = new List<string>();
        alice.PageError += (_, e) => errors.Add("alice: " + e);
        bob.PageError += (_, e) => errors.Add("bob: " + e);

        await alice.GotoAsync(new Uri(host.BaseAddress, "/?room=pw&name=alice").ToString());
        await bob.GotoAsync(new Uri(host.BaseAddress, "/?room=pw&name=bob").ToString());
        var wait = new PageWaitForFunctionOptions { Timeout = 20_000 };
        await alice.WaitForFunctionAsync("() => window.engine.view.members.length === 2 && window.engine.client.state === 'connected'", null, wait);
        await bob.WaitForFunctionAsync("() => window.engine.view.members.length === 2 && window.engine.client.state === 'connected'", null, wait);
        int bobId = await bob.EvaluateAsync<int>("() => window.engine.client.playerId");

        // Bob holds D (right) in his canvas; Alice's page sees Bob's dot move right.
        double before = await alice.EvaluateAsync<double>("id => window.engine.view.dots.get(id).x", bobId);
        await bob.Locator("#arena").FocusAsync();
        await bob.Keyboard.DownAsync("KeyD");
        await alice.WaitForFunctionAsync($"() => window.engine.view.dots.get({bobId}).x > {before + 30}", null, wait);
        await bob.Keyboard.UpAsync("KeyD");

        // Alice types (Bob sees the indicator) and sends a line (Bob sees it in the log).
        await alice.Locator("#chat-input").PressSequentiallyAsync("hello bob");
        await bob.WaitForFunctionAsync("() => document.getElementById('typing').textContent.includes('alice is typing')", null, wait);
        await alice.Locator("#chat-input").PressAsync("Enter");
        await bob.WaitForFunctionAsync("() => [...document.querySelectorAll('#chat-log li')].some(li => li.textContent === 'alice: hello bob')", null, wait);

        string readout = await alice.Locator("#transport").InnerTextAsync();
        await alice.WaitForFunctionAsync("() => window.engine.client.rtt !== null", null, wait);
        Assert.Equal("websocket", readout);

        // Alice's connection drops; Bob chats at once. Alice reconnects with backoff, resumes the
        // same player, and sees Bob's line exactly once (replayed or live, never twice or lost).
        int aliceId = await alice.EvaluateAsync<int>("() => window.engine.client.playerId");
        await alice.EvaluateAsync("() => window.engine.client.ws.close(4999, 'test drop')");
        await bob.Locator("#chat-input").FillAsync("while you were away");
        await bob.Locator("#chat-input").PressAsync("Enter");
        await alice.WaitForFunctionAsync("() => window.engine.client.resumes === 1 && window.engine.client.state === 'connected'", null, wait);
        await alice.WaitForFunctionAsync("() => window.engine.view.chat.some(c => c.text === 'while you were away')", null, wait);
        await bob.Locator("#chat-input").FillAsync("and now");
        await bob.Locator("#chat-input").PressAsync("Enter");
        await alice.WaitForFunctionAsync("() => window.engine.view.chat.some(c => c.text === 'and now')", null, wait);

        // Kept for a human look at what the page shows (test output names the file).
        string shot = Path.Combine(Path.GetTempPath(), "engine-arena-alice.png");
        await alice.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
        TestContext.Current.TestOutputHelper?.WriteLine("screenshot: " + shot);

        Assert.Equal(aliceId, await alice.EvaluateAsync<int>("() => window.engine.client.playerId"));
        Assert.Equal(1, await alice.EvaluateAsync<int>("() => window.engine.view.chat.filter(c => c.text === 'while you were away').length"));
        Assert.Empty(errors);
    }
}
