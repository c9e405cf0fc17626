using System.Runtime.CompilerServices;
using RagKit.Ingestion;
using RagKit.Onnx;
using RagKit.Retrieval;
using RagKit.Testing;
using Snapshooter.Xunit;
using Xunit;

namespace RagKit.Testing.Tests;

/// <summary>
/// EXAMPLE for app developers — copy this class. It tests an app's RAG code (here <see cref="SupportBot"/>) against a
/// committed cassette: no vector database, no model, no network. To (re-)record after changing documents, questions
/// or scopes, run once with the real store and model:
/// <code>RAGKIT_RECORD=1 dotnet test tests/RagKit.Testing.Tests</code>
/// then review and commit cassettes/support-bot.json and the __snapshots__ files.
/// </summary>
public sealed class SupportBotTests : IDisposable
{
    private static readonly RagDocument[] Handbook =
    [
        new("refunds", "Customers can get a full refund within 30 days of purchase. After 30 days, only store credit is offered.") { Title = "Refund policy" },
        new("shipping", "Standard shipping takes five business days. Express shipping arrives the next business day.") { Title = "Shipping" },
        new("warranty", "All devices carry a two-year warranty that covers manufacturing defects but not accidental damage.") { Title = "Warranty" },
        new("salaries", "Salary bands are reviewed every March by the compensation committee.") { Title = "Salaries", AccessGroups = ["hr"] },
    ];

    private readonly RagCassette _cassette = RagCassette.Open(CassettePath("support-bot.json"));
    private readonly MiniLmEmbeddingGenerator? _model;
    private readonly IRagPipeline _rag;

    public SupportBotTests()
    {
        // Recording uses the real embedder and store; replay needs neither.
        bool recording = _cassette.Mode == RecordingMode.Record;
        _model = recording ? MiniLmEmbeddingGenerator.Create() : null;
        _rag = new RagPipelineBuilder()
            .UseEmbeddingGenerator(_cassette.WrapEmbeddingGenerator(_model))
            .UseVectorStore(_cassette.WrapVectorStore(recording ? EmbeddedVectorStore.InMemory() : null))
            .Build();
    }

    public void Dispose()
    {
        _rag.Dispose();
        _cassette.Dispose(); // saves when recording
        _model?.Dispose();
    }

    [Fact]
    public async Task Refund_question_is_answered_from_the_refund_policy()
    {
        var bot = new SupportBot(_rag);
        await bot.LoadHandbookAsync("acme", Handbook);

        RagAnswer answer = await bot.AnswerAsync("acme", "How long do I have to get a refund?");

        Assert.Equal("refunds", answer.Citations[0].DocumentId);
        Snapshot.Match(RagSnapshot.Of(answer));
    }

    [Fact]
    public async Task Staff_without_the_hr_group_never_see_salary_documents()
    {
        var bot = new SupportBot(_rag);
        await bot.LoadHandbookAsync("acme", Handbook);

        RagAnswer staff = await bot.AnswerAsync("acme", "When are salary bands reviewed?");
        RagAnswer hr = await bot.AnswerAsync("acme", "When are salary bands reviewed?", "hr");

        Assert.DoesNotContain(staff.Citations, c => c.DocumentId == "salaries");
        Assert.Contains(hr.Citations, c => c.DocumentId == "salaries");
        Snapshot.Match(new { staff = RagSnapshot.Of(staff), hr = RagSnapshot.Of(hr) });
    }

    [Fact]
    public async Task A_question_not_in_the_cassette_fails_saying_how_to_record_it()
    {
        if (_cassette.Mode == RecordingMode.Record)
        {
            return; // recording answers every question
        }

        var bot = new SupportBot(_rag);
        await bot.LoadHandbookAsync("acme", Handbook);

        CassetteMissException ex = await Assert.ThrowsAsync<CassetteMissException>(() => bot.AnswerAsync("acme", "Do you ship to Mars?"));
        Assert.Contains("'do you ship to mars'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RAGKIT_RECORD=1", ex.Message, StringComparison.Ordinal);
    }

    private static string CassettePath(string name, [CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "cassettes", name);
}

/// <summary>Stands for the app's own code that uses RagKit — the thing the example tests.</summary>
public sealed class SupportBot(IRagPipeline rag)
{
    public Task<IngestResult> LoadHandbookAsync(string tenant, IEnumerable<RagDocument> documents) =>
        rag.IngestAsync(new RagScope(tenant, "handbook"), documents);

    public async Task<RagAnswer> AnswerAsync(string tenant, string question, params string[] groups) =>
        await rag.AskAsync(question, new AskOptions(new RagScope(tenant, "handbook", groups)) { TopK = 2 });
}
