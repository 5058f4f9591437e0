namespace Engine.Tests.Protocol;

/// <summary>The browser client's pure logic, run under Node against the real module.</summary>
public class BrowserClientLogicTests
{
    [Fact]
    public async Task BackoffDelay_FullJitter_UniformUpToBaseTimesTwoToTheAttemptCappedAtTenSeconds()
    {
        string client = new Uri(Path.Combine(ClientCodecTests.RepoRoot(), "samples", "browser-client", "client.js")).AbsoluteUri;
        string script = $$"""
            import { backoffDelay, BackoffBaseMs, BackoffCapMs } from '{{client}}';
            import assert from 'node:assert/strict';
            assert.equal(BackoffBaseMs, 500);
            assert.equal(BackoffCapMs, 10000);
            const top = () => 1 - Number.EPSILON;
            assert.equal(backoffDelay(0, () => 0), 0);
            assert.ok(Math.abs(backoffDelay(0, top) - 500) < 1e-6);
            assert.ok(Math.abs(backoffDelay(3, top) - 4000) < 1e-6);
            assert.ok(Math.abs(backoffDelay(5, top) - 10000) < 1e-6);
            assert.ok(Math.abs(backoffDelay(40, top) - 10000) < 1e-6);
            assert.equal(backoffDelay(4, () => 0.5), 4000);
            const samples = Array.from({ length: 20000 }, () => backoffDelay(2));
            assert.ok(Math.min(...samples) >= 0 && Math.max(...samples) < 2000);
            const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
            assert.ok(Math.abs(mean - 1000) < 50, `mean ${mean}`);
            console.log('ok');
            """;

        Assert.Equal("ok", (await NodeScript.RunAsync(script)).Trim());
    }
}
