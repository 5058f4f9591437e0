using System.Text.Json;
using Engine.Tests.Host;
using Microsoft.Playwright;

namespace Engine.Tests.Browser;

/// <summary>
/// Real headless Chromium on WebTransport against a real host: the sample page's netcode as a
/// player sees it. One page moves its dot; the other must draw that dot moving without jumps
/// larger than the arena's speed allows over the page's own render-time steps (so a slow machine
/// can make frames uneven but not fail the test), and the mover's predicted dot must take each
/// input's step when the input is sent, before any reply (prediction), and be drawn. Everything is read from the pages' own
/// logs (<c>window.engine.view</c>), ordered by the page's event counter, never by wall-clock deadlines.
/// </summary>
public class BrowserSmoothnessTests
{
    private const double Speed = 180; // ArenaRoom.Speed, units per second per axis
    private const double Epsilon = 0.05; // float32 positions and render-time rounding

    [Fact]
    public async Task TwoPagesOnWebTransport_OneHoldsKeys_OtherDrawsItWithoutJumpsAndMoverPredictsAtInput()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.TickRate = 30);
        await using BrowserHarness browser = await BrowserHarness.LaunchAsync();
        await browser.RunAsync(async () =>
        {
            IBrowserContext context = await browser.NewContextAsync();
            IPage mover = await browser.NewPageAsync(context, "mover");
            IPage watcher = await browser.NewPageAsync(context, "watcher");
            // WebTransport only, with a budget a busy machine cannot exhaust: a fallback to WebSocket
            // would test something else.
            const string query = "room=smooth&transport=wt&wtTimeoutMs=30000";
            await mover.GotoAsync(new Uri(host.BaseAddress, $"/?{query}&name=mover").ToString());
            await watcher.GotoAsync(new Uri(host.BaseAddress, $"/?{query}&name=watcher").ToString());
            foreach (IPage page in (IPage[])[mover, watcher])
            {
                await BrowserSampleTests.WaitForAsync(page, "() => window.engine.view.members.length === 2 && window.engine.client.state === 'connected'");
                string transport = await page.Locator("#transport").InnerTextAsync();
                Assert.True(transport == "webtransport", $"the readout says {transport}: {await BrowserHarness.DescribeAsync(page)}");
            }

            int moverId = await mover.EvaluateAsync<int>("() => window.engine.client.playerId");
            await BrowserSampleTests.WaitForAsync(mover, $"() => window.engine.view.dots.has({moverId})");
            await BrowserSampleTests.WaitForAsync(watcher, $"() => window.engine.view.dots.has({moverId})");

            // Away from the nearer walls: right or left, then down or up, 1.5 s each (270 units at most).
            JsonElement start = await mover.EvaluateAsync<JsonElement>($"() => window.engine.view.dots.get({moverId})");
            int horizontal = start.GetProperty("x").GetDouble() < 400 ? 8 : 4;
            int vertical = start.GetProperty("y").GetDouble() < 250 ? 2 : 1;
            double watcherMark = await watcher.EvaluateAsync<double>("() => window.engine.view.order");
            double moverMark = await mover.EvaluateAsync<double>($"() => {{ const mark = window.engine.view.order; window.engine.press({horizontal}); return mark; }}");
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            await mover.EvaluateAsync($"() => window.engine.press({vertical})");
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            await mover.EvaluateAsync("() => window.engine.press(0)");

            // The mover: the first input of the press went out and the server applied it; the page's
            // predicted dot took that input's step when the input was sent (logged in the same task,
            // so before any reply could arrive), and frames draw the prediction. Which of "the next
            // frame" and "the acknowledging snapshot" comes first is the scheduler's business on a
            // busy machine, so the render log is only required to show the move at some point.
            await BrowserSampleTests.WaitForAsync(mover, $$"""
                () => {
                  const v = window.engine.view;
                  const first = v.inputLog.find((e) => e.order > {{moverMark}} && e.buttons === {{horizontal}});
                  return first && v.snapshotLog.some((s) => s.order > first.order && s.lastProcessedInput >= first.sequence);
                }
                """);
            JsonElement prediction = await mover.EvaluateAsync<JsonElement>($$"""
                () => {
                  const v = window.engine.view;
                  const first = v.inputLog.find((e) => e.order > {{moverMark}} && e.buttons === {{horizontal}});
                  const ack = v.snapshotLog.find((s) => s.order > first.order && s.lastProcessedInput >= first.sequence);
                  const drawnMoved = v.renderLog.some((f) => f.order > first.order && f.own && first.from && Math.abs(f.own.x - first.from.x) > 0.5);
                  return { sequence: first.sequence, inputOrder: first.order, ackOrder: ack.order, from: first.from, to: first.to, drawnMoved };
                }
                """);
            double step = Speed / 30;
            double predictedDx = prediction.GetProperty("to").GetProperty("x").GetDouble() - prediction.GetProperty("from").GetProperty("x").GetDouble();
            Assert.True(Math.Abs(predictedDx - (horizontal == 8 ? step : -step)) < 0.01,
                $"the predicted dot did not take the input's step ({(horizontal == 8 ? step : -step):F2}) when the input was sent: {prediction}");
            Assert.True(prediction.GetProperty("ackOrder").GetDouble() > prediction.GetProperty("inputOrder").GetDouble(), $"{prediction}");
            Assert.True(prediction.GetProperty("drawnMoved").GetBoolean(), $"no frame drew the own dot moved: {prediction}");

            // Both pages come to rest on the same spot: the mover's prediction reconciled onto the
            // server's position, and the watcher's interpolation reached it.
            string restState = "";
            bool atRest = false;
            for (int attempt = 0; attempt < 300 && !atRest; attempt++)
            {
                JsonElement own = await mover.EvaluateAsync<JsonElement>($"() => window.engine.view.dots.get({moverId})");
                JsonElement seen = await watcher.EvaluateAsync<JsonElement>($$"""
                    () => {
                      const frames = window.engine.view.renderLog.filter((f) => f.remotes[{{moverId}}]).slice(-10);
                      const p = frames.at(-1).remotes[{{moverId}}];
                      return { x: p.x, y: p.y, still: frames.length === 10 && frames.every((f) => f.remotes[{{moverId}}].x === p.x && f.remotes[{{moverId}}].y === p.y) };
                    }
                    """);
                restState = $"mover draws itself at {own}, the watcher draws it at {seen}";
                atRest = seen.GetProperty("still").GetBoolean()
                    && Math.Abs(own.GetProperty("x").GetDouble() - seen.GetProperty("x").GetDouble()) < 0.5
                    && Math.Abs(own.GetProperty("y").GetDouble() - seen.GetProperty("y").GetDouble()) < 0.5;
                if (!atRest)
                {
                    await Task.Delay(100, TestContext.Current.CancellationToken);
                }
            }

            Assert.True(atRest, $"the pages never agreed where the mover stopped: {restState}");

            // Snapshots keep applying while nothing moves (deltas against acknowledged ticks decode),
            // and both pages have acknowledged ticks with SnapshotAck while idle.
            foreach (IPage page in (IPage[])[mover, watcher])
            {
                double tick = await page.EvaluateAsync<double>("() => window.engine.view.tick");
                await BrowserSampleTests.WaitForAsync(page, $"() => window.engine.view.tick >= {tick + 30} && window.engine.client.snapshotAcks > 0");
            }

            JsonElement drawn = await watcher.EvaluateAsync<JsonElement>($$"""
                () => {
                  const log = window.engine.view.renderLog;
                  const frames = log.filter((f) => f.order > {{watcherMark}} && f.remotes[{{moverId}}] && f.renderTime != null);
                  let worst = null, path = 0;
                  for (let i = 1; i < frames.length; i++) {
                    const a = frames[i - 1], b = frames[i], p = a.remotes[{{moverId}}], q = b.remotes[{{moverId}}];
                    const allowed = {{Speed}} * Math.abs(b.renderTime - a.renderTime) / 1000 + {{Epsilon}};
                    const jump = Math.max(Math.abs(q.x - p.x), Math.abs(q.y - p.y));
                    path += Math.abs(q.x - p.x) + Math.abs(q.y - p.y);
                    if (!worst || jump - allowed > worst.excess) worst = { excess: jump - allowed, jump, allowed, from: p, to: q, renderTimes: [a.renderTime, b.renderTime], at: [a.at, b.at] };
                  }
                  const first = frames[0]?.remotes[{{moverId}}], last = frames.at(-1)?.remotes[{{moverId}}];
                  return { logStart: log[0].order, frames: frames.length, path, worst,
                           dx: last && first ? Math.abs(last.x - first.x) : 0, dy: last && first ? Math.abs(last.y - first.y) : 0 };
                }
                """);
            TestContext.Current.TestOutputHelper?.WriteLine($"prediction: {prediction}{Environment.NewLine}drawn: {drawn}");
            Assert.True(drawn.GetProperty("logStart").GetDouble() < watcherMark, $"the watcher's render log no longer reaches back to the press: {drawn}");
            Assert.True(drawn.GetProperty("frames").GetInt32() > 30, $"too few frames drew the mover: {drawn}");
            Assert.True(drawn.GetProperty("dx").GetDouble() > 100 && drawn.GetProperty("dy").GetDouble() > 100, $"the mover's dot did not travel both legs: {drawn}");
            Assert.True(drawn.GetProperty("worst").GetProperty("excess").GetDouble() <= 0, $"a drawn jump exceeded the speed limit over its render time: {drawn}");
            Assert.Empty(browser.PageErrors);
        });
    }
}
