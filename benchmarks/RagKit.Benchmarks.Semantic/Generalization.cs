using System.Globalization;
using System.Text;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// Does the answer-neighbourhood rule generalize beyond BANKING77? Settings are chosen on train streams (BANKING77 train,
/// Bitext train) and scored on test streams (BANKING77 test, Bitext test, each also with held-out intents that are
/// never cached, standing in for out-of-scope questions), three shuffles each, against the static curve of the same
/// stream in the same run; PAWS dev and STS-B dev pairs for the guards; the guard probes per class.
/// </summary>
internal static class Generalization
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Static thresholds of every curve.</summary>
    private static readonly float[] Grid = [.. Enumerable.Range(0, 28).Select(i => 0.70f + (0.01f * i))];

    /// <summary>False-hit budget on the train streams: half the 1 % target, for the shift from train to test.</summary>
    private const double Budget = 0.005;

    private sealed record Stream(string Name, List<LabeledQuery> Queries, bool AnswerVectors, IReadOnlySet<string>? HeldOut);

    private sealed record Setting(float Floor, float Margin, float AnswerSimilarity)
    {
        public ISemanticMatchRule Rule() => new NeighbourhoodMatchRule(Floor, Margin, 1, guards: true, AnswerSimilarity, MaxOutlierGap) { AnswerMargin = AnswerMargin };

        /// <summary>The largest outlier gap, chosen before this grid on the train streams (--oos-train, eighth round).</summary>
        public float MaxOutlierGap { get; init; } = NeighbourhoodMatchRule.DefaultMaxOutlierGap;

        /// <summary>The answer-link margin, chosen before this grid on Bitext train (--answer-grid).</summary>
        public float AnswerMargin { get; init; } = NeighbourhoodMatchRule.DefaultAnswerMargin;

        public override string ToString() => string.Create(Inv, $"floor {Floor:F2}, margin {Margin:F2}, answer similarity {AnswerSimilarity:F2}, answer margin {(AnswerSimilarity > 0 ? AnswerMargin : 0):F2}");
    }

    private sealed record Scored(string Stream, int Seed, string Rule, StreamResult Result, double StaticAtSame, StreamResult Static090)
    {
        public double Ratio => StaticAtSame <= 0 ? double.PositiveInfinity : Result.HitRate / StaticAtSame;
    }

    public static void Run(string dataDir, List<LabeledQuery> bankingTest, List<LabeledQuery> bankingTrain, List<LabeledQuery> bitextTrain, List<LabeledQuery> bitextTest,
        List<SentencePair> paws, List<SentencePair> stsb, EmbeddingStore emb, string outPath)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();

        // 1. Selection on the train streams only.
        var bankingSel = new Stream("BANKING77 train", Shuffled(bankingTrain, 3).Take(4000).ToList(), false, null);
        var bitextSel = new Stream("Bitext train", Shuffled(bitextTrain, 3), true, null);
        List<StreamResult> bankingSelStatic = StaticCurve(bankingSel, emb);
        List<StreamResult> bitextSelStatic = StaticCurve(bitextSel, emb);
        var selection = new List<(Setting Setting, StreamResult Banking, double BankingRatio, StreamResult Bitext, double BitextRatio)>();
        foreach (float floor in new[] { 0.78f, 0.82f })
        {
            foreach (float margin in new[] { 0.08f, 0.10f, 0.12f })
            {
                // BANKM77's answers are one text per intent: the answer similarity does not change its stream.
                StreamResult banking = Simulation.Stream(bankingSel.Queries, emb, new StreamConfig("n", new Setting(floor, margin, 0).Rule(), false, 0), 0.90f);
                double bankingRatio = banking.HitRate / Simulation.InterpolateHitRate(bankingSelStatic, banking.FalseHitRate);
                foreach (float answer in new[] { 0f, 0.50f, 0.60f, 0.70f, 0.80f })
                {
                    var s = new Setting(floor, margin, answer);
                    StreamResult bitext = Simulation.Stream(bitextSel.Queries, emb, new StreamConfig("n", s.Rule(), false, 0), 0.90f, answerVectors: true);
                    double bitextRatio = bitext.HitRate / Simulation.InterpolateHitRate(bitextSelStatic, bitext.FalseHitRate);
                    selection.Add((s, banking, bankingRatio, bitext, bitextRatio));
                }
            }

            Console.Error.WriteLine($"selection floor {floor:F2} done at {sw.Elapsed.TotalSeconds:F0} s");
        }

        // Within the budget on both train streams, the setting whose worse train ratio is the highest (sixth round). Rounds
        // four and five chose floor and margin by the BANKING77 train ratio alone, because Bitext's ratios were all
        // 0.5-0.6x (noise); with whole-answer vectors and the answer margin they are 0.8-1.2x, so a setting has to hold on
        // both. (Reshuffles of the BANKING77 train stream move its ratio by 1.46-2.12x for the same setting: one order is
        // not enough to prefer a margin by BANKING77 alone.)
        var eligible = selection.Where(x => x.Banking.FalseHitRate <= Budget && x.Bitext.FalseHitRate <= Budget).ToList();
        Setting chosen = eligible.OrderByDescending(x => Math.Min(x.BankingRatio, x.BitextRatio)).ThenByDescending(x => x.Bitext.HitRate).First().Setting;
        Setting textOnly = chosen with { AnswerSimilarity = 0 };
        Setting gapOff = chosen with { MaxOutlierGap = float.PositiveInfinity };
        Console.Error.WriteLine($"chosen: {chosen}");
        foreach (var x in eligible.OrderByDescending(x => Math.Min(x.BankingRatio, x.BitextRatio)).Take(8))
        {
            Console.Error.WriteLine($"  {x.Setting}: banking {x.Banking.HitRate:P1}/{x.Banking.FalseHitRate:P2}/{x.BankingRatio:F2}x bitext {x.Bitext.HitRate:P1}/{x.Bitext.FalseHitRate:P2}/{x.BitextRatio:F2}x");
        }

        const string chosenLabel = "chosen";

        // 2. Test streams, three shuffles each; held-out intents chosen once by a fixed seed.
        IReadOnlySet<string> bankingHeld = HeldOut(bankingTest, 10, 13);
        IReadOnlySet<string> bitextHeld = HeldOut(bitextTest, 4, 13);
        var scored = new List<Scored>();

        // Bitext with a fixed reply per intent (the answer text is the intent): the condition of a public intent set served
        // through the chat middleware, on a set the rule was not tuned on.
        var byIntent = bitextTest.Select(q => q with { Response = null }).ToList();
        foreach (int seed in new[] { 7, 8, 9 })
        {
            Stream[] streams =
            [
                new("BANKING77 test", Shuffled(bankingTest, seed), false, null),
                new("BANKING77 test, 10 of 77 intents held out", Shuffled(bankingTest, seed), false, bankingHeld),
                new("Bitext test", Shuffled(bitextTest, seed), true, null),
                new("Bitext test, 4 of 27 intents held out", Shuffled(bitextTest, seed), true, bitextHeld),
                new("Bitext test, one answer per intent", Shuffled(byIntent, seed), false, null),
                new("Bitext test, one answer per intent, 4 of 27 held out", Shuffled(byIntent, seed), false, bitextHeld),
            ];
            foreach (Stream s in streams)
            {
                List<StreamResult> curve = StaticCurve(s, emb);
                StreamResult at090 = curve.First(r => Math.Abs(r.Threshold - 0.90f) < 0.001f);
                foreach ((string label, ISemanticMatchRule rule) in new[]
                {
                    (chosenLabel, chosen.Rule()),
                    ("chosen, outlier gap off", gapOff.Rule()),
                    ("chosen, answers by text only", textOnly.Rule()),
                })
                {
                    if (!s.AnswerVectors && !ReferenceEquals(label, chosenLabel) && label.Contains("text only", StringComparison.Ordinal))
                    {
                        continue; // one answer text per intent: comparing answers by text is what the chosen rule does
                    }

                    StreamResult r = Simulation.Stream(s.Queries, emb, new StreamConfig(label, rule, false, 0), 0.90f, s.AnswerVectors, s.HeldOut);
                    scored.Add(new Scored(s.Name, seed, label, r, Simulation.InterpolateHitRate(curve, r.FalseHitRate), at090));
                    Console.Error.WriteLine($"  {s.Name} seed {seed} {label}: hit {r.HitRate:P1} false {r.FalseHitRate:P2} oos {r.OutOfScopeHits}/{r.OutOfScope} ratio {scored[^1].Ratio:F2}");
                }
            }

            Console.Error.WriteLine($"seed {seed} done at {sw.Elapsed.TotalSeconds:F0} s");
        }

        // 3. Pairs: the guards (the neighbourhood rule decides a lone pair like the guarded rule).
        var pairs = new List<PairResult>();
        foreach (float t in new[] { 0.85f, 0.90f, 0.95f })
        {
            foreach (ISemanticMatchRule rule in new[] { SemanticMatchRules.Static, SemanticMatchRules.Guarded, new ReferenceRule() })
            {
                pairs.Add(Simulation.Pairs("PAWS dev", paws, emb, rule, t));
                pairs.Add(Simulation.Pairs("STS-B dev", stsb, emb, rule, t));
            }
        }

        Write(outPath, dataDir, chosen, selection, scored, pairs, GuardProbes.Table());
        Console.Error.WriteLine($"generalization written to {outPath} in {sw.Elapsed.TotalSeconds:F0} s");
    }

    private static List<LabeledQuery> Shuffled(List<LabeledQuery> queries, int seed)
    {
        var s = new List<LabeledQuery>(queries);
        Data.Shuffle(s, seed);
        return s;
    }

    private static IReadOnlySet<string> HeldOut(List<LabeledQuery> queries, int count, int seed)
    {
        var labels = queries.Select(q => q.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        Data.Shuffle(labels, seed);
        return labels.Take(count).ToHashSet(StringComparer.Ordinal);
    }

    private static List<StreamResult> StaticCurve(Stream s, EmbeddingStore emb) =>
        [.. Grid.Select(t => Simulation.Stream(s.Queries, emb, new StreamConfig("static", SemanticMatchRules.Static, false, 0), t, s.AnswerVectors, s.HeldOut))];

    /// <summary>The guards as they were before this round (the reference implementation), for the pair tables.</summary>
    private sealed class ReferenceRule : ISemanticMatchRule
    {
        public string Name => "guarded (previous guards)";

        public bool Accept(in SemanticMatchCandidate c) =>
            c.Similarity >= c.Threshold && (string.Equals(c.Question, c.CandidateQuestion, StringComparison.Ordinal) || ReferenceGuards.Check(c.Question, c.CandidateQuestion) is null);
    }

    private static void Write(string path, string dataDir, Setting chosen, List<(Setting Setting, StreamResult Banking, double BankingRatio, StreamResult Bitext, double BitextRatio)> selection,
        List<Scored> scored, List<PairResult> pairs, string probes)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Generalization, eighth round: the outlier gap (generated)").AppendLine();
        sb.AppendLine(string.Create(Inv, $"Generated by `dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Semantic -- --generalize` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC from `{dataDir}`."));
        sb.AppendLine("Protocol as above: a stream, each miss stores the query with its own answer, a hit whose answer belongs to another intent is false; the static curve (t = 0.70–0.97) is computed on the same stream in the same run and interpolated at the rule's false-hit rate.");
        sb.AppendLine("Bitext: 4,514 utterances split in half by seed 5 (train / test); every utterance stores its own generated response, embedded whole (MiniLM at its default 256 tokens, as the library embeds answers) as `CachedAnswer.AnswerEmbedding`; a new answer joins the answer cluster of the nearby answer whose embedding is the most similar (≥ the answer similarity) with the same values (`QuestionGuards.ValuesFingerprint`: list numbers, the verb \"may\", \"24/7\" and \"First,\" left out) when no other nearby answer is within the answer margin (0.03) of it. BANKING77 answers are the intent (one text per intent), so its streams carry no answer vectors; the \"one answer per intent\" Bitext streams store the intent as the answer the same way (a fixed reply per intent, as a public intent set served through the chat middleware would be). \"outlier gap off\": the chosen setting without the eighth round's outlier gap (`maxOutlierGap`: 0.02), same run.");
        sb.AppendLine("Held-out intents (seed 13) are asked but never stored: out-of-scope questions for the cache; every hit on them counts as false.").AppendLine();

        sb.AppendLine(string.Create(Inv, $"### Selection (train streams only)")).AppendLine();
        sb.AppendLine(string.Create(Inv, $"{selection.Count} settings (floor × margin × answer similarity, support 1, guards on, unsupported threshold 0.90, outlier gap 0.02 chosen before on the train streams with `--oos-train`) on BANKING77 train (4,000 queries, seed 3) and Bitext train (2,257, seed 3). Chosen, with at most {Budget:P1} false hits on both: the highest worse-of-the-two train ratio: **{chosen}**."));
        sb.AppendLine();
        sb.AppendLine("| setting | BANKING77 train: hit / false / ratio | Bitext train: hit / false / ratio |");
        sb.AppendLine("|---|---|---|");
        foreach (var x in selection.OrderByDescending(x => Math.Min(x.BankingRatio, x.BitextRatio)).Take(12))
        {
            sb.AppendLine(string.Create(Inv, $"| {x.Setting} | {x.Banking.HitRate:P1} / {x.Banking.FalseHitRate:P2} / {x.BankingRatio:F2}× | {x.Bitext.HitRate:P1} / {x.Bitext.FalseHitRate:P2} / {x.BitextRatio:F2}× |"));
        }

        sb.AppendLine().AppendLine("(the 12 best by the worse of the two train ratios, budget not applied in this list)").AppendLine();
        sb.AppendLine("### Test streams, three shuffles").AppendLine();
        sb.AppendLine("| stream | seed | rule | hit rate | false hits | out-of-scope served | static at the same false-hit rate | ratio | static t = 0.90: hit / false |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (Scored s in scored)
        {
            string oos = s.Result.OutOfScope == 0 ? "—" : string.Create(Inv, $"{s.Result.OutOfScopeHits} of {s.Result.OutOfScope}");
            sb.AppendLine(string.Create(Inv, $"| {s.Stream} | {s.Seed} | {s.Rule} | {s.Result.HitRate:P1} | {s.Result.FalseHitRate:P2} | {oos} | {s.StaticAtSame:P1} | **{s.Ratio:F2}×** | {s.Static090.HitRate:P1} / {s.Static090.FalseHitRate:P2} |"));
        }

        sb.AppendLine().AppendLine("### Pairs (PAWS dev, STS-B dev): guards now and before").AppendLine();
        sb.AppendLine("| data | rule | t | non-paraphrases served | paraphrases kept |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (PairResult p in pairs)
        {
            sb.AppendLine(string.Create(Inv, $"| {p.Data} | {p.Rule} | {p.Threshold:F2} | {p.NegativeHitRate:P1} | {p.Recall:P1} |"));
        }

        sb.AppendLine().AppendLine("### Guard probes per class").AppendLine().AppendLine(probes);

        const string Marker = "<!-- generalization -->";
        string existing = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        int at = existing.IndexOf(Marker, StringComparison.Ordinal);
        string head = at >= 0 ? existing[..at] : existing.TrimEnd() + Environment.NewLine + Environment.NewLine;
        File.WriteAllText(path, head + Marker + Environment.NewLine + Environment.NewLine + sb);
    }
}
