using Microsoft.Playwright;

namespace Engine.Tests.Browser;

/// <summary>
/// Headless Debian Chromium for the sample-page tests: launched with a net-log that is reported
/// (as <see cref="ChromiumWebTransportTests.NetLogDigest"/>) when a test fails and deleted when it
/// passes, plus an init script that records when each page first reaches state 'connected'.
/// </summary>
internal sealed class BrowserHarness : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Generous bound for anything a page waits for (the machine is small and busy).</summary>
    public static readonly PageWaitForFunctionOptions Wait = new() { Timeout = 30_000 };

    /// <summary>
    /// Runs before the sample's scripts: when app.js assigns <c>window.engine</c>, listens to its
    /// client and keeps <c>window.firstConnected = { atMs, transport }</c>, where <c>atMs</c> is
    /// <c>performance.now()</c> (milliseconds since the page's navigation started).
    /// </summary>
    private const string FirstConnectedScript = """
        (() => {
          let engine;
          Object.defineProperty(window, 'engine', {
            configurable: true,
            get() { return engine; },
            set(value) {
              engine = value;
              value?.client?.addEventListener('state', (e) => {
                if (e.detail === 'connected' && !window.firstConnected) {
                  window.firstConnected = { atMs: performance.now(), transport: value.client.transport };
                }
              });
            },
          });
        })();
        """;

    private readonly IPlaywright _playwright;

    private BrowserHarness(IPlaywright playwright, IBrowser browser, string netLog)
    {
        _playwright = playwright;
        Browser = browser;
        NetLog = netLog;
    }

    public IBrowser Browser { get; }

    /// <summary>Chromium's net-log file (QUIC and WebTransport events).</summary>
    public string NetLog { get; }

    public List<string> PageErrors { get; } = [];

    /// <summary>Launches Chromium (<paramref name="executablePath"/>: a wrapper script, or Debian's binary).</summary>
    public static async Task<BrowserHarness> LaunchAsync(string executablePath = ChromiumPath)
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: scripts/test.sh installs the Debian package 'chromium'.");
        string netLog = Path.Combine(Path.GetTempPath(), $"engine-browser-netlog-{Guid.NewGuid():N}.json");
        IPlaywright playwright = await Playwright.CreateAsync();
        try
        {
            IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executablePath,
                Headless = true,
                Timeout = 60_000,
                Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--log-net-log=" + netLog, "--net-log-capture-mode=Everything"],
            });
            return new BrowserHarness(playwright, browser, netLog);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh context (its own network state) that accepts the host's development certificate.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        IBrowserContext context = await Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(30_000);
        await context.AddInitScriptAsync(FirstConnectedScript);
        return context;
    }

    /// <summary>A page whose script errors are collected in <see cref="PageErrors"/> under <paramref name="label"/>.</summary>
    public async Task<IPage> NewPageAsync(IBrowserContext context, string label)
    {
        IPage page = await context.NewPageAsync();
        page.PageError += (_, e) =>
        {
            lock (PageErrors)
            {
                PageErrors.Add($"{label}: {e}");
            }
        };
        return page;
    }

    /// <summary>
    /// Runs <paramref name="test"/>; on failure closes Chromium (flushing the net-log) and rethrows
    /// with the net-log digest in the message; on success deletes the net-log.
    /// </summary>
    public async Task RunAsync(Func<Task> test)
    {
        try
        {
            await test();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            await CloseBrowserAsync();
            throw new InvalidOperationException(
                $"{exception.Message}{Environment.NewLine}Chromium's net-log says:{Environment.NewLine}{ChromiumWebTransportTests.NetLogDigest(NetLog)}", exception);
        }

        await CloseBrowserAsync();
        File.Delete(NetLog);
    }

    /// <summary>The page's state, transport and fallback reason, for failure messages.</summary>
    public static async Task<string> DescribeAsync(IPage page)
    {
        try
        {
            return await page.EvaluateAsync<string>(
                "() => JSON.stringify({ state: window.engine?.client?.state, transport: window.engine?.client?.transport, " +
                "readout: document.getElementById('transport')?.textContent, fallbackReason: window.engine?.client?.link?.fallbackReason ?? null, " +
                "firstConnected: window.firstConnected ?? null, playerId: window.engine?.client?.playerId, resumes: window.engine?.client?.resumes, " +
                "chat: window.engine?.view?.chat, timing: { domContentLoaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd, " +
                "resources: performance.getEntriesByType('resource').map(r => `${new URL(r.name).pathname} ${r.startTime.toFixed(0)}-${r.responseEnd.toFixed(0)}`) } })");
        }
        catch (PlaywrightException exception)
        {
            return "(page not readable: " + exception.Message + ")";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseBrowserAsync();
        _playwright.Dispose();
    }

    private async Task CloseBrowserAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Browser.CloseAsync().WaitAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is PlaywrightException or OperationCanceledException or TimeoutException)
        {
            // Already gone (or hung; the Playwright driver's exit takes it down).
        }
    }
}
