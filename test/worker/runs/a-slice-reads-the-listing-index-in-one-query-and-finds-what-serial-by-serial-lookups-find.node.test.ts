import { afterEach, describe, expect, it } from "vitest";
import { createSqliteSerialIndex } from "../../../worker/runs/sqlite-serial-index";
import { nodeSqlStorage } from "../factories/node-sql-storage.node";

// The listing index in the coordinator's SQLite (here Node's): a slice's serials preloaded in one query answer
// every lookup as the table would, one serial or many at a time, missing serials and repeats included.

let opened: ReturnType<typeof nodeSqlStorage> | null = null;
afterEach(() => opened?.close());

function listed(records: Record<string, unknown>) {
  opened = nodeSqlStorage();
  const queries: string[] = [];
  const sql = {
    exec: (query: string, ...bindings: unknown[]) => {
      queries.push(query);
      return opened!.sql.exec(query, ...bindings);
    },
  } as unknown as SqlStorage;
  const index = createSqliteSerialIndex(sql, "job_1");
  // Another job's listing in the same table is never an answer.
  const other = createSqliteSerialIndex(sql, "job_2");
  return {
    index,
    queries,
    async fill() {
      await index.put(Object.entries(records));
      await other.put([["SN-X", { serial: "SN-X", status: "other job" }]]);
      queries.length = 0;
    },
  };
}

const records = {
  "SN-1": { serial: "SN-1", status: "online", tags: ["a", "b"] },
  "SN-2": { serial: "SN-2", status: "offline" },
  "SN-3": { serial: "SN-3", status: null },
};

describe("the listing index of a slice", () => {
  it("answers every serial, one at a time or all at once, exactly as a lookup of the table does", async () => {
    const { index, fill } = listed(records);
    await fill();
    const wanted = ["SN-2", "SN-9", "SN-1", "SN-2", "SN-X", "SN-3"];
    const preloaded = index.preload(wanted);
    for (const serial of wanted) {
      expect(await preloaded.getMany([serial]), serial).toEqual(await index.getMany([serial]));
    }
    expect(await preloaded.getMany(wanted)).toEqual(await index.getMany(wanted));
    expect([...(await preloaded.getMany(wanted)).keys()].sort()).toEqual(["SN-1", "SN-2", "SN-3"]);
  });

  it("reads the slice's serials in one query and no more while the slice looks each up once", async () => {
    const { index, queries, fill } = listed(records);
    await fill();
    const preloaded = index.preload(["SN-1", "SN-2", "SN-3", "SN-9"]);
    expect(queries).toHaveLength(1);
    for (const serial of ["SN-1", "SN-2", "SN-3", "SN-9"]) await preloaded.getMany([serial]);
    expect(queries).toHaveLength(1);
    // A serial looked up again (its record was handed out) is read from the table.
    expect(await preloaded.getMany(["SN-1"])).toEqual(new Map([["SN-1", records["SN-1"]]]));
    expect(queries).toHaveLength(2);
  });

  it("gives each lookup its own record, and reads serials outside the slice and records written since from the table", async () => {
    const { index, fill } = listed(records);
    await fill();
    const preloaded = index.preload(["SN-1", "SN-2"]);
    const first = (await preloaded.getMany(["SN-1"])).get("SN-1") as { tags: string[] };
    first.tags.push("changed by the caller");
    expect((await preloaded.getMany(["SN-1"])).get("SN-1")).toEqual(records["SN-1"]);
    expect(await preloaded.getMany(["SN-3"])).toEqual(new Map([["SN-3", records["SN-3"]]]));
    await preloaded.put([["SN-2", { serial: "SN-2", status: "rewritten" }]]);
    expect(await preloaded.getMany(["SN-2"])).toEqual(new Map([["SN-2", { serial: "SN-2", status: "rewritten" }]]));
  });

  it("stores each record as one JSON text and gives back the same value, whatever its strings and numbers hold", async () => {
    const tricky = {
      "SN-ü": {
        serial: "SN-ü",
        name: 'quote " backslash \\ slash / tab \t newline \n',
        separators: "\u2028\u2029",
        emoji: "🛰️ ünïcödé",
        numbers: [0.1, -2.5e-7, 1e21, 12345678901234, -0, 3],
        nested: { empty: {}, list: [], "key with spaces": null, flag: false },
      },
    };
    const { index, fill } = listed(tricky);
    await fill();
    const expected = new Map([["SN-ü", JSON.parse(JSON.stringify(tricky["SN-ü"])) as unknown]]);
    expect(await index.getMany(["SN-ü"])).toEqual(expected);
    expect(await index.preload(["SN-ü"]).getMany(["SN-ü"])).toEqual(expected);
  });

  it("answers an empty slice without a query", async () => {
    const { index, queries, fill } = listed(records);
    await fill();
    expect(await index.preload([]).getMany([])).toEqual(new Map());
    expect(queries).toHaveLength(0);
  });
});
