import { parseLvsReport, parseLvTime } from '../../../src/lvm/lvs-report'
import { ExternalCommandError } from '../../../src/errors'

// Captured from lvm2 2.03 under the Debian kernel in ../shared/vm (vm.sh), --config report/time_format="%s";
// pool_lv and thin_id added as lvs prints them for volumes that are not thin (empty).
const REAL_REPORT = `  {
      "report": [
          {
              "lv": [
                  {"lv_name":"my-lv", "vg_name":"vg-x", "lv_attr":"owi-a-s---", "origin":"", "lv_size":"67108864", "lv_time":"1795674987", "chunk_size":"0", "snap_percent":"", "lv_uuid":"sfX4je-Oj1k-4l3L-S2be-vgoy-ppgT-A2I6gu", "lv_dm_path":"/dev/mapper/vg--x-my--lv", "lv_path":"/dev/vg-x/my-lv", "pool_lv":"", "thin_id":""},
                  {"lv_name":"my-lv-snap1", "vg_name":"vg-x", "lv_attr":"swi-I-s---", "origin":"my-lv", "lv_size":"8388608", "lv_time":"1795674988", "chunk_size":"4096", "snap_percent":"100.00", "lv_uuid":"fVLVaX-8cvf-U49V-W8Gx-Gsxh-GEBj-Y4Vyym", "lv_dm_path":"/dev/mapper/vg--x-my--lv--snap1", "lv_path":"/dev/vg-x/my-lv-snap1", "pool_lv":"", "thin_id":""},
                  {"lv_name":"s2", "vg_name":"vg-x", "lv_attr":"swi-a-s---", "origin":"my-lv", "lv_size":"12582912", "lv_time":"1795674991", "chunk_size":"4096", "snap_percent":"0.00", "lv_uuid":"m5RL9a-2LeK-rvk4-evNM-MTUK-9p01-OAn5kf", "lv_dm_path":"/dev/mapper/vg--x-s2", "lv_path":"/dev/vg-x/s2", "pool_lv":"", "thin_id":""}
              ]
          }
      ]
  }`

// A thin pool and a thin volume, captured the same way by test/kernel/guest-thin.sh (lvs -a).
const REAL_THIN_REPORT = `  {
      "report": [
          {
              "lv": [
                  {"lv_name":"data", "vg_name":"sdvg-t", "lv_attr":"Vwi-aotz--", "origin":"", "lv_size":"67108864", "lv_time":"1796454546", "chunk_size":"0", "snap_percent":"26.07", "lv_uuid":"sP7BWE-VWQA-3z5q-aLm5-cu3z-sUuW-TD0Ncq", "lv_dm_path":"/dev/mapper/sdvg--t-data", "lv_path":"/dev/sdvg-t/data", "pool_lv":"my-pool", "thin_id":"1"},
                  {"lv_name":"[lvol0_pmspare]", "vg_name":"sdvg-t", "lv_attr":"ewi-------", "origin":"", "lv_size":"4194304", "lv_time":"1796454545", "chunk_size":"0", "snap_percent":"", "lv_uuid":"7dIDF0-TIaa-ZyNU-TuTQ-937H-fSs1-8CS5QU", "lv_dm_path":"/dev/mapper/sdvg--t-lvol0_pmspare", "lv_path":"", "pool_lv":"", "thin_id":""},
                  {"lv_name":"my-pool", "vg_name":"sdvg-t", "lv_attr":"twi-aotz--", "origin":"", "lv_size":"134217728", "lv_time":"1796454545", "chunk_size":"65536", "snap_percent":"13.04", "lv_uuid":"lhkCkk-Jd38-ugwv-HHEg-bZXT-k6PL-TexmBw", "lv_dm_path":"/dev/mapper/sdvg--t-my--pool", "lv_path":"", "pool_lv":"", "thin_id":""},
                  {"lv_name":"[my-pool_tdata]", "vg_name":"sdvg-t", "lv_attr":"Twi-ao----", "origin":"", "lv_size":"134217728", "lv_time":"1796454545", "chunk_size":"0", "snap_percent":"", "lv_uuid":"ur9ZPU-eXNH-jmlM-JKGI-FaFi-al8T-4dGR4D", "lv_dm_path":"/dev/mapper/sdvg--t-my--pool_tdata", "lv_path":"", "pool_lv":"", "thin_id":""},
                  {"lv_name":"[my-pool_tmeta]", "vg_name":"sdvg-t", "lv_attr":"ewi-ao----", "origin":"", "lv_size":"4194304", "lv_time":"1796454545", "chunk_size":"0", "snap_percent":"", "lv_uuid":"DAHRWV-u0Kp-ccAT-CB58-skag-bECR-E2Ug5V", "lv_dm_path":"/dev/mapper/sdvg--t-my--pool_tmeta", "lv_path":"", "pool_lv":"", "thin_id":""}
              ]
          }
      ]
  }`

describe('parseLvsReport', () => {
  it('decodes a real report: sizes in bytes, times, percentages, device paths', () => {
    const [origin, snap1, s2] = parseLvsReport(REAL_REPORT, 'lvs vg-x')
    expect(origin).toMatchObject({ name: 'my-lv', vg: 'vg-x', attr: 'owi-a-s---', origin: '', sizeBytes: 67108864, chunkSizeBytes: 0, snapPercent: null })
    expect(snap1).toMatchObject({ name: 'my-lv-snap1', origin: 'my-lv', attr: 'swi-I-s---', sizeBytes: 8388608, chunkSizeBytes: 4096, snapPercent: 100 })
    expect(snap1.dmPath).toBe('/dev/mapper/vg--x-my--lv--snap1')
    expect(s2.createdAt.toISOString()).toBe('2026-11-26T06:36:31.000Z')
    expect(s2.snapPercent).toBe(0)
  })

  it('reads the thin pool and thin id of a thin volume; hidden pool parts have neither', () => {
    const [thin, spare, pool] = parseLvsReport(REAL_THIN_REPORT, 'lvs sdvg-t')
    expect(thin).toMatchObject({ name: 'data', attr: 'Vwi-aotz--', poolLv: 'my-pool', thinId: 1, sizeBytes: 67108864 })
    expect(spare).toMatchObject({ name: '[lvol0_pmspare]', poolLv: '', thinId: null })
    expect(pool).toMatchObject({ name: 'my-pool', attr: 'twi-aotz--', chunkSizeBytes: 65536, poolLv: '', thinId: null })
    expect(() => parseLvsReport(REAL_THIN_REPORT.replace('"thin_id":"1"', '"thin_id":"one"'), 'lvs')).toThrow('field thin_id should be a thin device id, got `one`')
  })

  it('refuses output that is not the JSON report, quoting it', () => {
    expect(() => parseLvsReport('  WARNING: something', 'lvs vg0')).toThrow(ExternalCommandError)
    expect(() => parseLvsReport('  WARNING: something', 'lvs vg0')).toThrow('lvs vg0: expected a JSON report, got:   WARNING')
  })

  it('refuses a report without a field it needs, or a size with a unit', () => {
    expect(() => parseLvsReport('{"report":[{"lv":[{"lv_name":"a"}]}]}', 'lvs')).toThrow("the report has no field snap_percent")
    const withUnit = REAL_REPORT.replace('"lv_size":"67108864"', '"lv_size":"64.00m"')
    expect(() => parseLvsReport(withUnit, 'lvs')).toThrow('field lv_size should be a whole number of bytes, got `64.00m`')
  })
})

describe('parseLvTime', () => {
  it("reads epoch seconds and lvm's default format with its zone", () => {
    expect(parseLvTime('1795674987', 'x').toISOString()).toBe('2026-11-26T06:36:27.000Z')
    expect(parseLvTime('2026-11-26 06:36:27 +0000', 'x').toISOString()).toBe('2026-11-26T06:36:27.000Z')
    expect(parseLvTime('2026-11-26 08:36:27 +0200', 'x').toISOString()).toBe('2026-11-26T06:36:27.000Z')
    expect(() => parseLvTime('yesterday', 'lvs vg0')).toThrow('lvs vg0: cannot read lv_time `yesterday`')
  })
})
