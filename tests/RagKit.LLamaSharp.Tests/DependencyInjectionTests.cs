using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RagKit.Onnx;
using RagKit.TestModels;

namespace RagKit.LLamaSharp.Tests;

/// <summary>RagKit.LLamaSharp's service registration, composed with the core and RagKit.Onnx.</summary>
public sealed class DependencyInjectionTests
{
    private static readonly RagScope Scope = new("acme", "handbook");

    private static readonly RagDocument[] Docs =
    [
        new("leave", "Employees get 25 days of paid leave per year. Part-time staff get leave pro rata."),
        new("expenses", "Travel expenses are reimbursed within 30 days when receipts are attached."),
    ];

    [Fact]
    public async Task Core_plus_Onnx_plus_LLamaSharp_resolves_a_pipeline_that_generates_with_the_local_model()
    {
        string dir = Directory.CreateTempSubdirectory("ragkit-di-").FullName;
        try
        {
            string model = TinyGgufWriter.Write(Path.Combine(dir, "tiny.gguf"), new TinyGgufSpec { ContextLength = 2048 });
            var services = new ServiceCollection();
            services.AddRagKit(o => o.TopK = 1)
                .AddOnnxEmbeddings()
                .AddLLamaSharpGenerator(o =>
                {
                    o.ModelPath = model;
                    o.ContextSize = 1536;
                    o.MaxTokens = 8;
                    o.Threads = 2;
                })
                .UseEmbeddedVectorStore(Path.Combine(dir, "store"));
            await using ServiceProvider sp = services.BuildServiceProvider(validateScopes: true);
            sp.GetRequiredService<IStartupValidator>().Validate();

            Assert.IsType<LLamaSharpChatClient>(sp.GetRequiredService<IChatClient>());
            IRagPipeline rag = sp.GetRequiredService<IRagPipeline>();
            await rag.IngestAsync(Scope, Docs, null, default);
            RagAnswer answer = await rag.AskAsync("How many days of leave do I get?", new AskOptions(Scope), default);
            Assert.Equal(AnswerTier.Generated, answer.Tier);
            Assert.False(answer.IsExtractive);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, "store"))); // the durable embedded store was used
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public void A_missing_model_file_fails_at_startup_naming_ModelPath()
    {
        var services = new ServiceCollection();
        services.AddRagKit().AddOnnxEmbeddings().AddLLamaSharpGenerator(o => o.ModelPath = "/nonexistent/model.gguf");
        using ServiceProvider sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("ModelPath", ex.Message, StringComparison.Ordinal);
    }
}
